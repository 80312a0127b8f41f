package wasmtimex_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/internal/wasmtimex"
)

const fuzzWAT = `(module
  (memory (export "memory") 1 2)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`

// FuzzRawCall calls guest functions with arbitrary raw values (including
// garbage in the unused high bits): every call either succeeds or returns a
// *TrapError, and the store keeps working.
func FuzzRawCall(f *testing.F) {
	f.Add(uint8(0), uint64(65533), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(1), uint64(1<<32-1), uint64(7), uint64(1), uint64(0))
	f.Add(uint8(2), uint64(1), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(3), uint64(0x7ff8000000000000), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(4), uint64(1<<31), uint64(0), uint64(0), uint64(0))
	e := newEngine(f, smallPool(), false)
	pre := newPre(f, e, fuzzWAT, nil)
	names := []string{"load", "store", "div", "trunc", "grow"}
	f.Fuzz(func(t *testing.T, which uint8, a, ahi, b, bhi uint64) {
		s, err := wasmtimex.NewStore(e, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		inst, err := pre.Instantiate(s)
		if err != nil {
			t.Fatal(err)
		}
		fn := mustFunc(t, s, inst, names[int(which)%len(names)])
		vals := make([]wasmtimex.Val, fn.Len())
		if len(vals) > 0 {
			vals[0] = wasmtimex.Val{Lo: a, Hi: ahi}
		}
		if len(vals) > 1 {
			vals[1] = wasmtimex.Val{Lo: b, Hi: bhi}
		}
		if err := fn.Call(s, vals); err != nil {
			var te *wasmtimex.TrapError
			if !errors.As(err, &te) || te.Code == wasmtimex.TrapUnknown {
				t.Fatalf("err = %v (%T), want a coded trap", err, err)
			}
		}
		v := []wasmtimex.Val{wasmtimex.ValI32(8), wasmtimex.ValI32(2)}
		if err := mustFunc(t, s, inst, "div").Call(s, v); err != nil || v[0].I32() != 4 {
			t.Fatalf("store unusable after call: %d, %v", v[0].I32(), err)
		}
	})
}

// TestInstancePreCloseWhileInstantiating closes an InstancePre while other
// goroutines instantiate from it (run with -race): each instantiation either
// succeeds or returns ErrClosed.
func TestInstancePreCloseWhileInstantiating(t *testing.T) {
	e := newEngine(t, &wasmtimex.Pooling{TotalCoreInstances: 64, TotalMemories: 64, TotalTables: 64, MaxMemorySize: 1 << 20}, false)
	pre := newPre(t, e, fuzzWAT, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				s, err := wasmtimex.NewStore(e, nil)
				if err != nil {
					errs <- err
					return
				}
				_, err = pre.Instantiate(s)
				s.Close()
				if errors.Is(err, wasmtimex.ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Let the workers get going, then close under them.
	for range 20 {
		s := newStore(t, e, nil)
		instantiate(t, pre, s)
		s.Close()
	}
	if err := pre.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
