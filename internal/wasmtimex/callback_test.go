package wasmtimex_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// hostGuestWAT imports host functions and re-exports calls to them.
const hostGuestWAT = `(module
  (import "host" "reverse" (func $reverse (param i32 i32) (result i32)))
  (import "host" "fail" (func $fail (param i32)))
  (import "host" "data" (func $data (result i64)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "hello, world")
` + testwasm.Realloc + `
  (func (export "call_reverse") (param i32 i32) (result i32)
    (call $reverse (local.get 0) (local.get 1)))
  (func (export "call_fail") (param i32) (result i32)
    (call $fail (local.get 0))
    (i32.const 7))
  (func (export "call_data") (result i64) (call $data))
  (func (export "boom") unreachable)
  (func (export "spin") (loop $l (br $l)))
)`

var errHost = errors.New("test: host function refused")

type testData struct{ n int64 }

// defineHost defines the imports of hostGuestWAT. Host "fail" modes:
// 0 returns errHost; 1 calls the guest's "boom" and returns its error;
// 2 calls back into the guest's call_fail(0), which fails, and then
// succeeds anyway; 3 panics; 4 keeps the Caller in *kept and succeeds.
func defineHost(tb testing.TB, l *wasmtime.Linker, kept **wasmtimex.Caller) {
	tb.Helper()
	i32, i64 := wasmtime.KindI32, wasmtime.KindI64
	err := wasmtimex.DefineFuncUnchecked(l, "host", "reverse", []wasmtime.ValKind{i32, i32}, []wasmtime.ValKind{i32},
		func(c *wasmtimex.Caller, v []wasmtimex.Val) error {
			ptr, n := v[0].U32(), v[1].U32()
			mem, err := c.Memory("memory")
			if err != nil {
				return err
			}
			data, err := mem.Data(c)
			if err != nil {
				return err
			}
			if uint64(ptr)+uint64(n) > uint64(len(data)) {
				return fmt.Errorf("range [%d, %d) outside memory", ptr, uint64(ptr)+uint64(n))
			}
			in := bytes.Clone(data[ptr : ptr+n])
			realloc, err := c.Func("canonical_abi_realloc")
			if err != nil {
				return err
			}
			rv := []wasmtimex.Val{wasmtimex.ValI32(0), wasmtimex.ValI32(0), wasmtimex.ValI32(1), wasmtimex.ValI32(int32(n))}
			if err := realloc.Call(c, rv); err != nil {
				return err
			}
			out := rv[0].U32()
			data, err = mem.Data(c) // refresh: the guest ran
			if err != nil {
				return err
			}
			if uint64(out)+uint64(n) > uint64(len(data)) {
				return fmt.Errorf("realloc returned %d, outside memory", out)
			}
			for i := range n {
				data[out+i] = in[n-1-i]
			}
			v[0] = wasmtimex.ValI32(int32(out))
			return nil
		})
	if err != nil {
		tb.Fatal(err)
	}
	err = wasmtimex.DefineFuncUnchecked(l, "host", "fail", []wasmtime.ValKind{i32}, nil,
		func(c *wasmtimex.Caller, v []wasmtimex.Val) error {
			switch v[0].I32() {
			case 0:
				return errHost
			case 1:
				boom, err := c.Func("boom")
				if err != nil {
					return err
				}
				return boom.Call(c, nil)
			case 2:
				f, err := c.Func("call_fail")
				if err != nil {
					return err
				}
				if err := f.Call(c, []wasmtimex.Val{wasmtimex.ValI32(0)}); !errors.Is(err, errHost) {
					return fmt.Errorf("nested call: got %v, want errHost", err)
				}
				return nil
			case 3:
				panic("host function panicked on purpose")
			case 4:
				*kept = c
				return nil
			}
			return nil
		})
	if err != nil {
		tb.Fatal(err)
	}
	err = wasmtimex.DefineFuncUnchecked(l, "host", "data", nil, []wasmtime.ValKind{i64},
		func(c *wasmtimex.Caller, v []wasmtimex.Val) error {
			d, ok := c.Data().(*testData)
			if !ok {
				return fmt.Errorf("store data is %T", c.Data())
			}
			v[0] = wasmtimex.ValI64(d.n)
			return nil
		})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestHostFunctionMemoryAndRealloc(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := newPre(t, e, hostGuestWAT, func(l *wasmtime.Linker) { defineHost(t, l, nil) })
	s := newStore(t, e, &testData{n: 99})
	inst := instantiate(t, pre, s)
	f := mustFunc(t, s, inst, "call_reverse")
	mem, err := inst.Memory(s, "memory")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // each call allocates afresh in the guest
		v := []wasmtimex.Val{wasmtimex.ValI32(16), wasmtimex.ValI32(12)}
		if err := f.Call(s, v); err != nil {
			t.Fatal(err)
		}
		out := v[0].U32()
		if want := uint32(1024 + 12*i); out != want {
			t.Errorf("call %d: realloc gave %d, want %d", i, out, want)
		}
		data, err := mem.Data(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(data[out : out+12]); got != "dlrow ,olleh" {
			t.Errorf("call %d: reversed = %q", i, got)
		}
	}
	// A host function given a bad range fails only its own call.
	v := []wasmtimex.Val{wasmtimex.ValI32(-10), wasmtimex.ValI32(100)}
	if err := f.Call(s, v); err == nil {
		t.Fatal("out-of-range pointer accepted")
	}
	d := mustFunc(t, s, inst, "call_data")
	v = make([]wasmtimex.Val, 1)
	if err := d.Call(s, v); err != nil || v[0].I64() != 99 {
		t.Fatalf("call_data = %d, %v; want 99 from the store's data", v[0].I64(), err)
	}
}

func TestHostFunctionErrors(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	var kept *wasmtimex.Caller
	pre := newPre(t, e, hostGuestWAT, func(l *wasmtime.Linker) { defineHost(t, l, &kept) })
	s := newStore(t, e, &testData{})
	inst := instantiate(t, pre, s)
	f := mustFunc(t, s, inst, "call_fail")
	tests := []struct {
		name  string
		mode  int32
		check func(t *testing.T, err error)
	}{
		{"error traps and comes back", 0, func(t *testing.T, err error) {
			if !errors.Is(err, errHost) {
				t.Fatalf("err = %v, want errHost", err)
			}
		}},
		{"trap in nested guest call", 1, func(t *testing.T, err error) {
			var te *wasmtimex.TrapError
			if !errors.As(err, &te) || te.Code != wasmtimex.TrapUnreachableCodeReached {
				t.Fatalf("err = %v, want the nested unreachable trap", err)
			}
		}},
		{"nested host error handled by host", 2, func(t *testing.T, err error) {
			if err != nil {
				t.Fatalf("err = %v, want success", err)
			}
		}},
		{"panic becomes error", 3, func(t *testing.T, err error) {
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte("panicked on purpose")) {
				t.Fatalf("err = %v, want the panic", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := []wasmtimex.Val{wasmtimex.ValI32(tt.mode)}
			err := f.Call(s, v)
			tt.check(t, err)
			if err == nil && v[0].I32() != 7 {
				t.Errorf("result = %d, want 7", v[0].I32())
			}
			// The store still works, and a successful call reports no
			// leftover error.
			v = []wasmtimex.Val{wasmtimex.ValI32(99)}
			if err := f.Call(s, v); err != nil || v[0].I32() != 7 {
				t.Fatalf("call after: %d, %v", v[0].I32(), err)
			}
		})
	}
	t.Run("caller expires", func(t *testing.T) {
		if err := f.Call(s, []wasmtimex.Val{wasmtimex.ValI32(4)}); err != nil {
			t.Fatal(err)
		}
		if kept == nil {
			t.Fatal("host function did not run")
		}
		if _, err := kept.Memory("memory"); !errors.Is(err, wasmtimex.ErrCallerExpired) {
			t.Errorf("Memory on expired caller: %v", err)
		}
		if _, err := kept.Func("boom"); !errors.Is(err, wasmtimex.ErrCallerExpired) {
			t.Errorf("Func on expired caller: %v", err)
		}
		mem, err := inst.Memory(s, "memory")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mem.Data(kept); !errors.Is(err, wasmtimex.ErrCallerExpired) {
			t.Errorf("Data with expired caller: %v", err)
		}
		if kept.Data() != nil {
			t.Error("Data on expired caller is not nil")
		}
	})
}

func TestDefineFuncUncheckedErrors(t *testing.T) {
	e := newEngine(t, nil, false)
	nop := func(*wasmtimex.Caller, []wasmtimex.Val) error { return nil }
	closed := wasmtime.NewLinker(e)
	closed.Close()
	tests := []struct {
		name   string
		l      *wasmtime.Linker
		module string
		fname  string
		params []wasmtime.ValKind
		fn     func(*wasmtimex.Caller, []wasmtimex.Val) error
		want   error
	}{
		{"externref param", wasmtime.NewLinker(e), "m", "f", []wasmtime.ValKind{wasmtime.KindExternref}, nop, wasmtimex.ErrUnsupportedType},
		{"bad utf-8 name", wasmtime.NewLinker(e), "m", "f\xff", nil, nop, wasmtimex.ErrInvalidName},
		{"closed linker", closed, "m", "f", nil, nop, wasmtimex.ErrClosed},
		{"nil func", wasmtime.NewLinker(e), "m", "f", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wasmtimex.DefineFuncUnchecked(tt.l, tt.module, tt.fname, tt.params, nil, tt.fn)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		l := wasmtime.NewLinker(e)
		if err := wasmtimex.DefineFuncUnchecked(l, "m", "f", nil, nil, nop); err != nil {
			t.Fatal(err)
		}
		if err := wasmtimex.DefineFuncUnchecked(l, "m", "f", nil, nil, nop); err == nil {
			t.Fatal("duplicate definition accepted")
		}
	})
	t.Run("type mismatch with import", func(t *testing.T) {
		l := wasmtime.NewLinker(e)
		if err := wasmtimex.DefineFuncUnchecked(l, "host", "fail", nil, nil, nop); err != nil {
			t.Fatal(err)
		}
		m, err := wasmtime.NewModule(e, testwasm.Wat(t, `(module (import "host" "fail" (func (param i32))))`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wasmtimex.NewInstancePre(l, m); err == nil {
			t.Fatal("import with a different type accepted")
		}
	})
}

// tickEpochs advances e's epoch every millisecond until the test ends.
func tickEpochs(t *testing.T, e *wasmtime.Engine) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				e.IncrementEpoch()
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestEpochInterruptsInfiniteLoop(t *testing.T) {
	e := newEngine(t, smallPool(), true)
	tickEpochs(t, e)
	pre := newPre(t, e, hostGuestWAT, func(l *wasmtime.Linker) { defineHost(t, l, nil) })

	t.Run("callback stops with ctx error", func(t *testing.T) {
		s := newStore(t, e, &testData{})
		ctx, cancel := context.WithCancel(t.Context())
		calls := 0
		err := wasmtimex.SetEpochDeadlineCallback(s, func() (uint64, error) {
			calls++
			if calls == 3 {
				cancel()
			}
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			return 1, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Wasmtime().SetEpochDeadline(1)
		inst := instantiate(t, pre, s)
		spin := mustFunc(t, s, inst, "spin")
		err = spin.Call(s, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if calls != 3 {
			t.Errorf("callback ran %d times, want 3 (continue twice, then stop)", calls)
		}
		// The store is still usable for calls that finish in time.
		v := []wasmtimex.Val{wasmtimex.ValI32(16), wasmtimex.ValI32(5)}
		s.Wasmtime().SetEpochDeadline(1 << 40)
		if err := mustFunc(t, s, inst, "call_reverse").Call(s, v); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("callback panic stops guest", func(t *testing.T) {
		s := newStore(t, e, &testData{})
		if err := wasmtimex.SetEpochDeadlineCallback(s, func() (uint64, error) { panic("epoch boom") }); err != nil {
			t.Fatal(err)
		}
		s.Wasmtime().SetEpochDeadline(1)
		inst := instantiate(t, pre, s)
		err := mustFunc(t, s, inst, "spin").Call(s, nil)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("epoch boom")) {
			t.Fatalf("err = %v, want the panic", err)
		}
	})
	t.Run("no callback traps with interrupt", func(t *testing.T) {
		s := newStore(t, e, nil)
		s.Wasmtime().SetEpochDeadline(1)
		inst := instantiate(t, pre, s)
		err := mustFunc(t, s, inst, "spin").Call(s, nil)
		var te *wasmtimex.TrapError
		if !errors.As(err, &te) || te.Code != wasmtimex.TrapInterrupt {
			t.Fatalf("err = %v, want interrupt trap", err)
		}
	})
}

// TestConcurrentStores hammers one InstancePre and one set of host functions
// from several goroutines, each with its own stores (run with -race).
func TestConcurrentStores(t *testing.T) {
	e := newEngine(t, &wasmtimex.Pooling{TotalCoreInstances: 16, TotalMemories: 16, TotalTables: 16, MaxMemorySize: 1 << 20}, false)
	pre := newPre(t, e, hostGuestWAT, func(l *wasmtime.Linker) { defineHost(t, l, nil) })
	const workers, rounds = 4, 50
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			errs <- func() error {
				for i := range rounds {
					s, err := wasmtimex.NewStore(e, &testData{n: int64(w*1000 + i)})
					if err != nil {
						return err
					}
					inst, err := pre.Instantiate(s)
					if err != nil {
						return err
					}
					d, err := inst.Func(s, "call_data")
					if err != nil {
						return err
					}
					v := make([]wasmtimex.Val, 1)
					if err := d.Call(s, v); err != nil {
						return err
					}
					if v[0].I64() != int64(w*1000+i) {
						return fmt.Errorf("worker %d round %d: data %d", w, i, v[0].I64())
					}
					fail, err := inst.Func(s, "call_fail")
					if err != nil {
						return err
					}
					if err := fail.Call(s, []wasmtimex.Val{wasmtimex.ValI32(0)}); !errors.Is(err, errHost) {
						return fmt.Errorf("worker %d: fail = %v", w, err)
					}
					s.Close()
				}
				return nil
			}()
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
