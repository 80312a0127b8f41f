package wasmtimex_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// benchWAT has an export to call and a loop calling a host import n times.
const benchWAT = `(module
  (import "host" "f" (func $f (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "some data to initialise")
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "loop") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $f (local.get $acc)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
)`

const hostCallsPerOp = 100

func benchPool() *wasmtimex.Pooling {
	return &wasmtimex.Pooling{
		TotalCoreInstances:       100,
		TotalMemories:            100,
		TotalTables:              100,
		MaxMemorySize:            16 << 20,
		LinearMemoryKeepResident: 1 << 20,
	}
}

// goLinker is the wasmtime-go baseline: host function via FuncNew.
func goLinker(b *testing.B, e *wasmtime.Engine) (*wasmtime.Linker, *wasmtime.Module) {
	b.Helper()
	m, err := wasmtime.NewModule(e, testwasm.Wat(b, benchWAT))
	if err != nil {
		b.Fatal(err)
	}
	l := wasmtime.NewLinker(e)
	i32 := wasmtime.NewValType(wasmtime.KindI32)
	ty := wasmtime.NewFuncType([]*wasmtime.ValType{i32}, []*wasmtime.ValType{i32})
	err = l.FuncNew("host", "f", ty, func(_ *wasmtime.Caller, args []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
		return []wasmtime.Val{wasmtime.ValI32(args[0].I32() + 1)}, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return l, m
}

// shimPre is the wasmtimex path: host function via DefineFuncUnchecked.
func shimPre(b *testing.B, e *wasmtime.Engine) *wasmtimex.InstancePre {
	return newPre(b, e, benchWAT, func(l *wasmtime.Linker) {
		err := wasmtimex.DefineFuncUnchecked(l, "host", "f",
			[]wasmtime.ValKind{wasmtime.KindI32}, []wasmtime.ValKind{wasmtime.KindI32},
			func(_ *wasmtimex.Caller, v []wasmtimex.Val) error {
				v[0] = wasmtimex.ValI32(v[0].I32() + 1)
				return nil
			})
		if err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkInstantiate: new store + instance + close, per op.
func BenchmarkInstantiate(b *testing.B) {
	b.Run("wasmtime-go/Linker.Instantiate", func(b *testing.B) {
		e := newEngine(b, nil, false)
		l, m := goLinker(b, e)
		for b.Loop() {
			s := wasmtime.NewStore(e)
			if _, err := l.Instantiate(s, m); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("wasmtimex/InstancePre+pooling", func(b *testing.B) {
		e := newEngine(b, benchPool(), false)
		pre := shimPre(b, e)
		for b.Loop() {
			s, err := wasmtimex.NewStore(e, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := pre.Instantiate(s); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("wasmtimex/InstancePre+pooling/parallel", func(b *testing.B) {
		e := newEngine(b, benchPool(), false)
		pre := shimPre(b, e)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s, err := wasmtimex.NewStore(e, nil)
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := pre.Instantiate(s); err != nil {
					b.Error(err)
					return
				}
				s.Close()
			}
		})
	})
}

// BenchmarkCallHostToGuest: one call of add(i32, i32) -> i32.
func BenchmarkCallHostToGuest(b *testing.B) {
	b.Run("wasmtime-go/Func.Call", func(b *testing.B) {
		e := newEngine(b, nil, false)
		l, m := goLinker(b, e)
		s := wasmtime.NewStore(e)
		defer s.Close()
		inst, err := l.Instantiate(s, m)
		if err != nil {
			b.Fatal(err)
		}
		add := inst.GetFunc(s, "add")
		for b.Loop() {
			if _, err := add.Call(s, 1, 2); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wasmtimex/Func.Call", func(b *testing.B) {
		e := newEngine(b, benchPool(), false)
		pre := shimPre(b, e)
		s := newStore(b, e, nil)
		inst := instantiate(b, pre, s)
		add := mustFunc(b, s, inst, "add")
		vals := make([]wasmtimex.Val, 2)
		for b.Loop() {
			vals[0], vals[1] = wasmtimex.ValI32(1), wasmtimex.ValI32(2)
			if err := add.Call(s, vals); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCallGuestToHost: the guest calls a host function 100 times per
// op; host-ns/call is the cost of one guest->host call.
func BenchmarkCallGuestToHost(b *testing.B) {
	b.Run("wasmtime-go/FuncNew", func(b *testing.B) {
		e := newEngine(b, nil, false)
		l, m := goLinker(b, e)
		s := wasmtime.NewStore(e)
		defer s.Close()
		inst, err := l.Instantiate(s, m)
		if err != nil {
			b.Fatal(err)
		}
		loop := inst.GetFunc(s, "loop")
		for b.Loop() {
			if _, err := loop.Call(s, hostCallsPerOp); err != nil {
				b.Fatal(err)
			}
		}
		reportPerHostCall(b)
	})
	b.Run("wasmtimex/DefineFuncUnchecked", func(b *testing.B) {
		e := newEngine(b, benchPool(), false)
		pre := shimPre(b, e)
		s := newStore(b, e, nil)
		inst := instantiate(b, pre, s)
		loop := mustFunc(b, s, inst, "loop")
		benchHostCalls(b, s, loop)
	})
}

// BenchmarkHostFuncStoreData: a guest->host call whose host function
// reaches its store's data and the memory view, as real imports do.
func BenchmarkHostFuncStoreData(b *testing.B) {
	e := newEngine(b, benchPool(), false)
	type state struct{ mem wasmtimex.Memory }
	pre := newPre(b, e, benchWAT, func(l *wasmtime.Linker) {
		err := wasmtimex.DefineFuncUnchecked(l, "host", "f",
			[]wasmtime.ValKind{wasmtime.KindI32}, []wasmtime.ValKind{wasmtime.KindI32},
			func(c *wasmtimex.Caller, v []wasmtimex.Val) error {
				st := c.Data().(*state)
				data, err := st.mem.Data(c)
				if err != nil {
					return err
				}
				v[0] = wasmtimex.ValI32(v[0].I32() + int32(data[0]))
				return nil
			})
		if err != nil {
			b.Fatal(err)
		}
	})
	st := &state{}
	s := newStore(b, e, st)
	inst := instantiate(b, pre, s)
	mem, err := inst.Memory(s, "memory")
	if err != nil {
		b.Fatal(err)
	}
	st.mem = mem
	loop := mustFunc(b, s, inst, "loop")
	benchHostCalls(b, s, loop)
}

// benchHostCalls times the guest's loop export making hostCallsPerOp
// guest->host calls per op, and reports the cost of one.
func benchHostCalls(b *testing.B, s *wasmtimex.Store, loop wasmtimex.Func) {
	vals := make([]wasmtimex.Val, 1)
	for b.Loop() {
		vals[0] = wasmtimex.ValI32(hostCallsPerOp)
		if err := loop.Call(s, vals); err != nil {
			b.Fatal(err)
		}
	}
	reportPerHostCall(b)
}

// reportPerHostCall reports the time of one guest->host call.
func reportPerHostCall(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*hostCallsPerOp), "host-ns/call")
}

// BenchmarkMemoryData: fetching the memory view (done after every guest call).
func BenchmarkMemoryData(b *testing.B) {
	e := newEngine(b, benchPool(), false)
	pre := shimPre(b, e)
	s := newStore(b, e, nil)
	inst := instantiate(b, pre, s)
	mem, err := inst.Memory(s, "memory")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := mem.Data(s); err != nil {
			b.Fatal(err)
		}
	}
}

// requestWAT is shaped like a Spin guest: realloc, free, a handler.
const requestWAT = `(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 0) "static data segment of the guest")
` + testwasm.Realloc + `
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))`

// BenchmarkRequestShape: what one HTTP request costs in wasm calls: a fresh
// store and instance, export lookups, 20 realloc+write steps, one handler
// call, one read, 3 frees, close.
func BenchmarkRequestShape(b *testing.B) {
	payload := []byte("header-or-body-bytes")
	b.Run("wasmtime-go", func(b *testing.B) {
		e := newEngine(b, nil, false)
		m, err := wasmtime.NewModule(e, testwasm.Wat(b, requestWAT))
		if err != nil {
			b.Fatal(err)
		}
		l := wasmtime.NewLinker(e)
		for b.Loop() {
			s := wasmtime.NewStore(e)
			inst, err := l.Instantiate(s, m)
			if err != nil {
				b.Fatal(err)
			}
			realloc := inst.GetFunc(s, "canonical_abi_realloc")
			free := inst.GetFunc(s, "canonical_abi_free")
			handle := inst.GetFunc(s, "handle-http-request")
			mem := inst.GetExport(s, "memory").Memory()
			for range 20 {
				p, err := realloc.Call(s, 0, 0, 1, len(payload))
				if err != nil {
					b.Fatal(err)
				}
				copy(mem.UnsafeData(s)[p.(int32):], payload)
			}
			r, err := handle.Call(s, 1024, 20)
			if err != nil {
				b.Fatal(err)
			}
			_ = append([]byte(nil), mem.UnsafeData(s)[r.(int32):r.(int32)+20]...)
			for range 3 {
				if _, err := free.Call(s, 1024, 20, 1); err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
		}
	})
	b.Run("wasmtimex", func(b *testing.B) {
		e := newEngine(b, benchPool(), false)
		pre := newPre(b, e, requestWAT, nil)
		vals := make([]wasmtimex.Val, 4)
		for b.Loop() {
			s, err := wasmtimex.NewStore(e, nil)
			if err != nil {
				b.Fatal(err)
			}
			inst, err := pre.Instantiate(s)
			if err != nil {
				b.Fatal(err)
			}
			realloc, err1 := inst.Func(s, "canonical_abi_realloc")
			free, err2 := inst.Func(s, "canonical_abi_free")
			handle, err3 := inst.Func(s, "handle-http-request")
			mem, err4 := inst.Memory(s, "memory")
			if err := errors.Join(err1, err2, err3, err4); err != nil {
				b.Fatal(err)
			}
			for range 20 {
				vals[0], vals[1], vals[2], vals[3] = wasmtimex.ValI32(0), wasmtimex.ValI32(0), wasmtimex.ValI32(1), wasmtimex.ValI32(int32(len(payload)))
				if err := realloc.Call(s, vals); err != nil {
					b.Fatal(err)
				}
				data, err := mem.Data(s)
				if err != nil {
					b.Fatal(err)
				}
				copy(data[vals[0].U32():], payload)
			}
			vals[0], vals[1] = wasmtimex.ValI32(1024), wasmtimex.ValI32(20)
			if err := handle.Call(s, vals); err != nil {
				b.Fatal(err)
			}
			data, err := mem.Data(s)
			if err != nil {
				b.Fatal(err)
			}
			r := vals[0].U32()
			_ = append([]byte(nil), data[r:r+20]...)
			for range 3 {
				vals[0], vals[1], vals[2] = wasmtimex.ValI32(1024), wasmtimex.ValI32(20), wasmtimex.ValI32(1)
				if err := free.Call(s, vals); err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
		}
	})
}

// BenchmarkExportLookup: Instance.Func and Instance.Memory (cache them per
// instance rather than looking up per call).
func BenchmarkExportLookup(b *testing.B) {
	e := newEngine(b, benchPool(), false)
	pre := newPre(b, e, requestWAT, nil)
	s := newStore(b, e, nil)
	inst := instantiate(b, pre, s)
	b.Run("Func", func(b *testing.B) {
		for b.Loop() {
			if _, err := inst.Func(s, "canonical_abi_realloc"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Memory", func(b *testing.B) {
		for b.Loop() {
			if _, err := inst.Memory(s, "memory"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkKeepResident: store + instance + one call that dirties two pages
// + close, for a guest with a 17-page (1.1 MiB) memory like a small Rust
// guest, by Pooling.LinearMemoryKeepResident.
func BenchmarkKeepResident(b *testing.B) {
	const wat = `(module
	  (memory (export "memory") 17)
	  (data (i32.const 0) "initial data")
	  (func (export "touch")
	    (i32.store (i32.const 100) (i32.const 1))
	    (i32.store (i32.const 700000) (i32.const 1))))`
	for _, keep := range []uint64{0, 64 << 10, 1 << 20} {
		p := benchPool()
		p.LinearMemoryKeepResident = keep
		e := newEngine(b, p, false)
		pre := newPre(b, e, wat, nil)
		once := func() error {
			s, err := wasmtimex.NewStore(e, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			inst, err := pre.Instantiate(s)
			if err != nil {
				return err
			}
			f, err := inst.Func(s, "touch")
			if err != nil {
				return err
			}
			return f.Call(s, nil)
		}
		b.Run(fmt.Sprintf("keep=%dKiB", keep>>10), func(b *testing.B) {
			for b.Loop() {
				if err := once(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("keep=%dKiB/parallel", keep>>10), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := once(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
