package wasmtimex_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// A guest that recurses through a host function (guest -> host -> guest ...)
// without end gets a stack-overflow trap; the process and store survive.
func TestUnboundedRecursionThroughHost(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	depth := 0
	pre := newPre(t, e, `(module
	  (import "host" "again" (func $again))
	  (memory (export "memory") 1)
	  (func (export "reenter") (call $again))
	  (func (export "ok") (result i32) (i32.const 1)))`,
		func(l *wasmtime.Linker) {
			err := wasmtimex.DefineFuncUnchecked(l, "host", "again", nil, nil,
				func(c *wasmtimex.Caller, _ []wasmtimex.Val) error {
					depth++
					f, err := c.Func("reenter")
					if err != nil {
						return err
					}
					return f.Call(c, nil)
				})
			if err != nil {
				t.Fatal(err)
			}
		})
	s := newStore(t, e, nil)
	inst := instantiate(t, pre, s)
	err := mustFunc(t, s, inst, "reenter").Call(s, nil)
	var te *wasmtimex.TrapError
	if !errors.As(err, &te) || te.Code != wasmtimex.TrapStackOverflow {
		t.Fatalf("err = %.300v, want a stack overflow trap", err)
	}
	if depth < 10 {
		t.Errorf("recursed only %d times", depth)
	}
	t.Logf("recursion depth reached: %d", depth)
	v := make([]wasmtimex.Val, 1)
	if err := mustFunc(t, s, inst, "ok").Call(s, v); err != nil || v[0].I32() != 1 {
		t.Fatalf("call after overflow: %d, %v", v[0].I32(), err)
	}
}

type oddError struct{ msg string }

func (e *oddError) Error() string { return e.msg }

// Errors whose text wasmtime could not take as is (invalid UTF-8, NUL bytes,
// very long) still trap the guest and come back intact.
func TestHostErrorWithOddText(t *testing.T) {
	tests := []struct {
		name string
		msg  string
	}{
		{"invalid utf-8", "bad \xff\xfe bytes"},
		{"nul byte", "before\x00after"},
		{"long", string(make([]byte, 100000))},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, nil, true)
			want := &oddError{tt.msg}
			pre := newPre(t, e, `(module
			  (import "host" "f" (func $f))
			  (func (export "run") (call $f))
			  (func (export "spin") (loop $l (br $l))))`,
				func(l *wasmtime.Linker) {
					err := wasmtimex.DefineFuncUnchecked(l, "host", "f", nil, nil,
						func(*wasmtimex.Caller, []wasmtimex.Val) error { return want })
					if err != nil {
						t.Fatal(err)
					}
				})
			s := newStore(t, e, nil)
			s.Wasmtime().SetEpochDeadline(1 << 40)
			inst := instantiate(t, pre, s)
			if err := mustFunc(t, s, inst, "run").Call(s, nil); !errors.Is(err, want) {
				t.Fatalf("host function: err = %.200q", err)
			}
			// The same through the epoch callback.
			if err := wasmtimex.SetEpochDeadlineCallback(s, func() (uint64, error) { return 0, want }); err != nil {
				t.Fatal(err)
			}
			s.Wasmtime().SetEpochDeadline(0)
			if err := mustFunc(t, s, inst, "spin").Call(s, nil); !errors.Is(err, want) {
				t.Fatalf("epoch callback: err = %.200q", err)
			}
		})
	}
}

// Closing a store from inside one of its host functions is refused instead
// of freeing the store under the running guest.
func TestCloseStoreFromHostFunction(t *testing.T) {
	type holder struct{ s *wasmtimex.Store }
	e := newEngine(t, smallPool(), false)
	var closeErr error
	pre := newPre(t, e, `(module
	  (import "host" "close" (func $close))
	  (func (export "run") (result i32) (call $close) (i32.const 5)))`,
		func(l *wasmtime.Linker) {
			err := wasmtimex.DefineFuncUnchecked(l, "host", "close", nil, nil,
				func(c *wasmtimex.Caller, _ []wasmtimex.Val) error {
					closeErr = c.Data().(*holder).s.Close()
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
		})
	h := &holder{}
	h.s = newStore(t, e, h)
	inst := instantiate(t, pre, h.s)
	v := make([]wasmtimex.Val, 1)
	if err := mustFunc(t, h.s, inst, "run").Call(h.s, v); err != nil || v[0].I32() != 5 {
		t.Fatalf("run = %d, %v", v[0].I32(), err)
	}
	if !errors.Is(closeErr, wasmtimex.ErrStoreBusy) {
		t.Fatalf("Close inside host function: %v, want ErrStoreBusy", closeErr)
	}
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close after the call: %v", err)
	}
}

// A host function reached through wasmtime-go's own Func.Call (not through
// this package) sees no store data, and the error it leaves behind on the
// thread is not attributed to a later, unrelated trap.
func TestHostFunctionEnteredThroughWasmtimeGo(t *testing.T) {
	runtime.LockOSThread() // keep every call on one thread, where the slot lives
	defer runtime.UnlockOSThread()
	e := newEngine(t, nil, false)
	m, err := wasmtime.NewModule(e, testwasm.Wat(t, `(module
	  (import "host" "f" (func $f))
	  (func (export "run") (call $f))
	  (func (export "boom") unreachable))`))
	if err != nil {
		t.Fatal(err)
	}
	l := wasmtime.NewLinker(e)
	var sawData any = "unset"
	err = wasmtimex.DefineFuncUnchecked(l, "host", "f", nil, nil, func(c *wasmtimex.Caller, _ []wasmtimex.Val) error {
		sawData = c.Data()
		return errHost
	})
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, e, "data")
	goInst, err := l.Instantiate(s.Wasmtime(), m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := goInst.GetFunc(s.Wasmtime(), "run").Call(s.Wasmtime()); err == nil {
		t.Fatal("wasmtime-go call of a failing host function succeeded")
	}
	if sawData != nil {
		t.Errorf("Caller.Data outside wasmtimex = %v, want nil", sawData)
	}
	pre, err := wasmtimex.NewInstancePre(l, m)
	if err != nil {
		t.Fatal(err)
	}
	defer pre.Close()
	inst := instantiate(t, pre, s)
	err = mustFunc(t, s, inst, "boom").Call(s, nil)
	var te *wasmtimex.TrapError
	if errors.Is(err, errHost) || !errors.As(err, &te) || te.Code != wasmtimex.TrapUnreachableCodeReached {
		t.Fatalf("err = %v, want the unreachable trap, not the stale host error", err)
	}
	// Entered through wasmtimex, the same host function sees the data.
	if err := mustFunc(t, s, inst, "run").Call(s, nil); !errors.Is(err, errHost) || sawData != "data" {
		t.Fatalf("err = %v, data %v", err, sawData)
	}
}

// A host function error swallowed by something in between (here a
// wasmtime-go FuncNew host function that calls back into the guest and
// ignores the failure) does not make the outer call fail.
func TestSwallowedHostErrorIsNotReported(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	var innerErr error
	pre := newPre(t, e, `(module
	  (import "go" "swallow" (func $swallow))
	  (import "host" "f" (func $f))
	  (func (export "run") (call $f))
	  (func (export "outer") (result i32) (call $swallow) (i32.const 9)))`,
		func(l *wasmtime.Linker) {
			err := wasmtimex.DefineFuncUnchecked(l, "host", "f", nil, nil,
				func(*wasmtimex.Caller, []wasmtimex.Val) error { return errHost })
			if err != nil {
				t.Fatal(err)
			}
			err = l.FuncNew("go", "swallow", wasmtime.NewFuncType(nil, nil),
				func(c *wasmtime.Caller, _ []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
					_, innerErr = c.GetExport("run").Func().Call(c)
					return nil, nil
				})
			if err != nil {
				t.Fatal(err)
			}
		})
	s := newStore(t, e, nil)
	inst := instantiate(t, pre, s)
	v := make([]wasmtimex.Val, 1)
	if err := mustFunc(t, s, inst, "outer").Call(s, v); err != nil || v[0].I32() != 9 {
		t.Fatalf("outer = %d, %v; want 9, nil", v[0].I32(), err)
	}
	if innerErr == nil {
		t.Fatal("inner call did not fail")
	}
	// And a later real failure is reported as itself.
	if err := mustFunc(t, s, inst, "run").Call(s, nil); !errors.Is(err, errHost) {
		t.Fatalf("run: %v, want errHost", err)
	}
}
