package wasmtimex_test

import (
	"errors"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// guestWAT is a small guest: arithmetic exports, a trap, a bump allocator
// with the canonical ABI realloc signature, and an infinite loop.
const guestWAT = `(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "hello")
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
  (func (export "divf") (param f64 f64) (result f64)
    (f64.div (local.get 0) (local.get 1)))
  (func (export "pair") (result i32 i64)
    (i32.const -7) (i64.const 1099511627776))
  (func (export "nop"))
  (func (export "boom") (unreachable))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "spin") (loop $l (br $l)))
  (func (export "ref") (param externref))
` + testwasm.Realloc + `
)`

type env struct {
	engine *wasmtime.Engine
	pre    *wasmtimex.InstancePre
}

func newEngine(tb testing.TB, pool *wasmtimex.Pooling, epoch bool) *wasmtime.Engine {
	tb.Helper()
	cfg := wasmtime.NewConfig()
	if epoch {
		cfg.SetEpochInterruption(true)
	}
	if pool != nil {
		if err := wasmtimex.EnablePooling(cfg, *pool); err != nil {
			tb.Fatal(err)
		}
	}
	e := wasmtime.NewEngineWithConfig(cfg)
	tb.Cleanup(e.Close)
	return e
}

func smallPool() *wasmtimex.Pooling {
	return &wasmtimex.Pooling{
		TotalCoreInstances:       4,
		TotalMemories:            4,
		TotalTables:              4,
		MaxMemorySize:            4 << 20,
		LinearMemoryKeepResident: 64 << 10,
	}
}

func newPre(tb testing.TB, e *wasmtime.Engine, wat string, define func(l *wasmtime.Linker)) *wasmtimex.InstancePre {
	tb.Helper()
	m, err := wasmtime.NewModule(e, testwasm.Wat(tb, wat))
	if err != nil {
		tb.Fatal(err)
	}
	defer m.Close()
	l := wasmtime.NewLinker(e)
	defer l.Close()
	if define != nil {
		define(l)
	}
	pre, err := wasmtimex.NewInstancePre(l, m)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pre.Close() })
	return pre
}

func newStore(tb testing.TB, e *wasmtime.Engine, data any) *wasmtimex.Store {
	tb.Helper()
	s, err := wasmtimex.NewStore(e, data)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func instantiate(tb testing.TB, pre *wasmtimex.InstancePre, s *wasmtimex.Store) wasmtimex.Instance {
	tb.Helper()
	inst, err := pre.Instantiate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return inst
}

func mustFunc(tb testing.TB, s wasmtimex.Context, inst wasmtimex.Instance, name string) wasmtimex.Func {
	tb.Helper()
	f, err := inst.Func(s, name)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestCallExports(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := newPre(t, e, guestWAT, nil)
	s := newStore(t, e, nil)
	inst := instantiate(t, pre, s)

	tests := []struct {
		name   string
		export string
		args   []wasmtimex.Val
		check  func(t *testing.T, out []wasmtimex.Val)
	}{
		{"i32 add wraps", "add", []wasmtimex.Val{wasmtimex.ValI32(-1 << 31), wasmtimex.ValI32(-1)}, func(t *testing.T, out []wasmtimex.Val) {
			if got := out[0].I32(); got != 1<<31-1 {
				t.Errorf("add = %d, want %d", got, int32(1<<31-1))
			}
		}},
		{"i32 negative", "add", []wasmtimex.Val{wasmtimex.ValI32(-5), wasmtimex.ValI32(2)}, func(t *testing.T, out []wasmtimex.Val) {
			if got := out[0].I32(); got != -3 {
				t.Errorf("add = %d, want -3", got)
			}
		}},
		{"i64", "add64", []wasmtimex.Val{wasmtimex.ValI64(1 << 40), wasmtimex.ValI64(-1)}, func(t *testing.T, out []wasmtimex.Val) {
			if got := out[0].I64(); got != 1<<40-1 {
				t.Errorf("add64 = %d", got)
			}
		}},
		{"f64", "divf", []wasmtimex.Val{wasmtimex.ValF64(1), wasmtimex.ValF64(4)}, func(t *testing.T, out []wasmtimex.Val) {
			if got := out[0].F64(); got != 0.25 {
				t.Errorf("divf = %v", got)
			}
		}},
		{"two results", "pair", nil, func(t *testing.T, out []wasmtimex.Val) {
			if out[0].I32() != -7 || out[1].I64() != 1<<40 {
				t.Errorf("pair = %d, %d", out[0].I32(), out[1].I64())
			}
		}},
		{"no params no results", "nop", nil, func(t *testing.T, out []wasmtimex.Val) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFunc(t, s, inst, tt.export)
			vals := make([]wasmtimex.Val, f.Len())
			// Dirty the upper bits so the accessors are shown to ignore them.
			for i := range vals {
				vals[i] = wasmtimex.Val{Lo: 0xdeadbeef_00000000, Hi: 0xffff}
			}
			for i, a := range tt.args {
				vals[i] = a
			}
			if err := f.Call(s, vals); err != nil {
				t.Fatal(err)
			}
			tt.check(t, vals)
		})
	}
}

func TestFuncErrors(t *testing.T) {
	e := newEngine(t, nil, false)
	pre := newPre(t, e, guestWAT, nil)
	s := newStore(t, e, nil)
	inst := instantiate(t, pre, s)
	other := newStore(t, e, nil)
	otherInst := instantiate(t, pre, other)
	add := mustFunc(t, s, inst, "add")

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"missing export", func() error { _, err := inst.Func(s, "nope"); return err }, wasmtimex.ErrNotFound},
		{"memory is not a func", func() error { _, err := inst.Func(s, "memory"); return err }, wasmtimex.ErrNotFound},
		{"func is not a memory", func() error { _, err := inst.Memory(s, "add"); return err }, wasmtimex.ErrNotFound},
		{"reference types refused", func() error { _, err := inst.Func(s, "ref"); return err }, wasmtimex.ErrUnsupportedType},
		{"short value slice", func() error { return add.Call(s, make([]wasmtimex.Val, 1)) }, wasmtimex.ErrShortArgs},
		{"nil value slice", func() error { return add.Call(s, nil) }, wasmtimex.ErrShortArgs},
		{"func with other store", func() error { return add.Call(other, make([]wasmtimex.Val, 2)) }, wasmtimex.ErrWrongStore},
		{"instance with other store", func() error { _, err := inst.Func(other, "add"); return err }, wasmtimex.ErrWrongStore},
		{"other instance with first store", func() error { _, err := otherInst.Memory(s, "memory"); return err }, wasmtimex.ErrWrongStore},
		{"zero instance", func() error { _, err := wasmtimex.Instance{}.Func(s, "add"); return err }, wasmtimex.ErrWrongStore},
		{"zero func", func() error { return wasmtimex.Func{}.Call(s, nil) }, wasmtimex.ErrWrongStore},
		{"nil context", func() error { return add.Call(nil, nil) }, wasmtimex.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTrapKeepsStoreUsable(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := newPre(t, e, guestWAT, nil)
	s := newStore(t, e, nil)
	inst := instantiate(t, pre, s)
	tests := []struct {
		name   string
		export string
		args   []wasmtimex.Val
		code   wasmtimex.TrapCode
	}{
		{"unreachable", "boom", nil, wasmtimex.TrapUnreachableCodeReached},
		{"divide by zero", "div", []wasmtimex.Val{wasmtimex.ValI32(1), wasmtimex.ValI32(0)}, wasmtimex.TrapIntegerDivisionByZero},
		{"overflow", "div", []wasmtimex.Val{wasmtimex.ValI32(-1 << 31), wasmtimex.ValI32(-1)}, wasmtimex.TrapIntegerOverflow},
	}
	add := mustFunc(t, s, inst, "add")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustFunc(t, s, inst, tt.export)
			vals := make([]wasmtimex.Val, max(f.Len(), 1))
			copy(vals, tt.args)
			err := f.Call(s, vals)
			var te *wasmtimex.TrapError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want *TrapError", err, err)
			}
			if te.Code != tt.code || te.Message == "" {
				t.Errorf("trap = code %d %q, want code %d", te.Code, te.Message, tt.code)
			}
			// The same store and instance keep working after the trap.
			v := []wasmtimex.Val{wasmtimex.ValI32(2), wasmtimex.ValI32(3)}
			if err := add.Call(s, v); err != nil || v[0].I32() != 5 {
				t.Fatalf("add after trap = %d, %v", v[0].I32(), err)
			}
			// And a new instance in a new store from the same pool works.
			s2 := newStore(t, e, nil)
			instantiate(t, pre, s2)
		})
	}
}

func TestMemoryData(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := newPre(t, e, guestWAT, nil)
	s := newStore(t, e, nil)
	inst := instantiate(t, pre, s)
	mem, err := inst.Memory(s, "memory")
	if err != nil {
		t.Fatal(err)
	}
	data, err := mem.Data(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 65536 || string(data[16:21]) != "hello" {
		t.Fatalf("memory: len %d, data %q", len(data), data[16:21])
	}
	data[100] = 42 // writes land in guest memory
	grow := mustFunc(t, s, inst, "grow")
	v := []wasmtimex.Val{wasmtimex.ValI32(1)}
	if err := grow.Call(s, v); err != nil || v[0].I32() != 1 {
		t.Fatalf("grow = %d, %v", v[0].I32(), err)
	}
	data, err = mem.Data(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 2*65536 || data[100] != 42 {
		t.Fatalf("after grow: len %d, data[100] = %d", len(data), data[100])
	}
	// The pool's MaxMemorySize (4 MiB = 64 pages) caps growth: grow fails
	// inside the guest (returns -1) instead of trapping.
	v[0] = wasmtimex.ValI32(100)
	if err := grow.Call(s, v); err != nil || v[0].I32() != -1 {
		t.Fatalf("grow past limit = %d, %v; want -1, nil", v[0].I32(), err)
	}
}

func TestPoolNotExhaustedByClosedStores(t *testing.T) {
	pool := smallPool()
	e := newEngine(t, pool, false)
	pre := newPre(t, e, guestWAT, nil)
	n := int(pool.TotalCoreInstances) * 5
	for i := range n {
		s, err := wasmtimex.NewStore(e, nil)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := pre.Instantiate(s)
		if err != nil {
			t.Fatalf("instantiation %d of %d: %v", i+1, n, err)
		}
		f := mustFunc(t, s, inst, "add")
		if err := f.Call(s, make([]wasmtimex.Val, 2)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if err := f.Call(s, make([]wasmtimex.Val, 2)); !errors.Is(err, wasmtimex.ErrClosed) {
			t.Fatalf("call after close: %v, want ErrClosed", err)
		}
	}
}

func TestPoolExhaustedIsAnError(t *testing.T) {
	pool := smallPool()
	e := newEngine(t, pool, false)
	pre := newPre(t, e, guestWAT, nil)
	for i := range int(pool.TotalCoreInstances) {
		s := newStore(t, e, nil)
		if _, err := pre.Instantiate(s); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	s := newStore(t, e, nil)
	if _, err := pre.Instantiate(s); err == nil {
		t.Fatal("instantiating past TotalCoreInstances succeeded; pooling is not in effect")
	}
}

func TestInstancePreMisuse(t *testing.T) {
	e := newEngine(t, nil, false)
	pre := newPre(t, e, guestWAT, nil)
	otherEngine := newEngine(t, nil, false)
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"store of another engine", func() error {
			_, err := pre.Instantiate(newStore(t, otherEngine, nil))
			return err
		}, wasmtimex.ErrWrongStore},
		{"closed store", func() error {
			s := newStore(t, e, nil)
			s.Close()
			_, err := pre.Instantiate(s)
			return err
		}, wasmtimex.ErrClosed},
		{"store closed through wasmtime-go", func() error {
			s := newStore(t, e, nil)
			s.Wasmtime().Close()
			_, err := pre.Instantiate(s)
			return err
		}, wasmtimex.ErrClosed},
		{"closed pre", func() error {
			p := newPre(t, e, guestWAT, nil)
			p.Close()
			p.Close()
			_, err := p.Instantiate(newStore(t, e, nil))
			return err
		}, wasmtimex.ErrClosed},
		{"closed linker", func() error {
			l := wasmtime.NewLinker(e)
			l.Close()
			m, err := wasmtime.NewModule(e, testwasm.Wat(t, guestWAT))
			if err != nil {
				return err
			}
			_, err = wasmtimex.NewInstancePre(l, m)
			return err
		}, wasmtimex.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestUnresolvedImport(t *testing.T) {
	e := newEngine(t, nil, false)
	m, err := wasmtime.NewModule(e, testwasm.Wat(t, `(module (import "env" "f" (func)))`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wasmtimex.NewInstancePre(wasmtime.NewLinker(e), m); err == nil {
		t.Fatal("NewInstancePre with an undefined import succeeded")
	}
}

func TestStartFunctionTrap(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := newPre(t, e, `(module (func $s unreachable) (start $s))`, nil)
	s := newStore(t, e, nil)
	_, err := pre.Instantiate(s)
	var te *wasmtimex.TrapError
	if !errors.As(err, &te) || te.Code != wasmtimex.TrapUnreachableCodeReached {
		t.Fatalf("err = %v, want unreachable trap", err)
	}
}
