package host

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// benchWAT is a small guest: key-value.get forwarded through an export,
// a realloc that always returns the same scratch buffer (so a benchmark
// can call get millions of times), and a no-op export.
const benchWAT = `(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "get" (func $get (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "default")
  (data (i32.const 32) "bench-key")
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 4096))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "noop"))
  (func (export "open-default") (result i32)
    (call $open (i32.const 16) (i32.const 7) (i32.const 64))
    (i32.load (i32.const 68)))
  (func (export "get") (param i32) (result i32)
    (call $get (local.get 0) (i32.const 32) (i32.const 9) (i32.const 64))
    (i32.load8_u (i32.const 64))))`

func benchStore(b *testing.B) kv.Store {
	s := memory.New()
	if err := s.Set(context.Background(), "bench-key", make([]byte, 100)); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkInstantiateCall is the per-request cost of a fresh instance:
// instantiate, call an export, close.
func BenchmarkInstantiateCall(b *testing.B) {
	wasm := testwasm.Wat(b, benchWAT)
	b.Run("host", func(b *testing.B) {
		e := testEngine(b, &Options{MaxInstances: 64})
		c, err := e.Compile(context.Background(), Config{ID: "bench", Wasm: wasm, KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": benchStore(b)}})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for b.Loop() {
			i, err := c.Instantiate(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := i.Call("noop"); err != nil {
				b.Fatal(err)
			}
			i.Close()
		}
	})
	b.Run("wasmtime-go-baseline", func(b *testing.B) {
		cfg := wasmtime.NewConfig()
		cfg.SetEpochInterruption(true)
		eng := wasmtime.NewEngineWithConfig(cfg)
		defer eng.Close()
		m, err := wasmtime.NewModule(eng, wasm)
		if err != nil {
			b.Fatal(err)
		}
		l := wasmtime.NewLinker(eng)
		if err := l.DefineWasi(); err != nil {
			b.Fatal(err)
		}
		for _, imp := range m.Imports() {
			if err := l.FuncNew(imp.Module(), *imp.Name(), imp.Type().FuncType(), func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
				return nil, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			s := wasmtime.NewStore(eng)
			s.SetWasi(wasmtime.NewWasiConfig())
			s.SetEpochDeadline(1 << 20)
			inst, err := l.Instantiate(s, m)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := inst.GetFunc(s, "noop").Call(s); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}

// BenchmarkKeyValueGet is one guest call of key-value.get (100-byte value
// from the memory store) on a live instance, against the same import
// written on wasmtime-go's public API, and the store's own Get.
func BenchmarkKeyValueGet(b *testing.B) {
	wasm := testwasm.Wat(b, benchWAT)
	b.Run("host", func(b *testing.B) {
		e := testEngine(b, nil)
		c, err := e.Compile(context.Background(), Config{ID: "bench", Wasm: wasm, KeyValueStores: []string{"default"}, Stores: kv.Stores{"default": benchStore(b)}})
		if err != nil {
			b.Fatal(err)
		}
		i := instantiate(b, c)
		h := call(b, i, "open-default")[0]
		for b.Loop() {
			if r, err := i.Call("get", h); err != nil || r[0] != 0 {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("wasmtime-go-baseline", func(b *testing.B) {
		s := benchStore(b)
		eng := wasmtime.NewEngine()
		defer eng.Close()
		m, err := wasmtime.NewModule(eng, wasm)
		if err != nil {
			b.Fatal(err)
		}
		l := wasmtime.NewLinker(eng)
		i32 := wasmtime.NewValType(wasmtime.KindI32)
		open := wasmtime.NewFuncType([]*wasmtime.ValType{i32, i32, i32}, nil)
		get := wasmtime.NewFuncType([]*wasmtime.ValType{i32, i32, i32, i32}, nil)
		must(b, l.FuncNew("key-value", "open", open, func(c *wasmtime.Caller, a []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			mem := c.GetExport("memory").Memory().UnsafeData(c)
			binary.LittleEndian.PutUint32(mem[a[2].I32():], 0)
			binary.LittleEndian.PutUint32(mem[a[2].I32()+4:], 0)
			return nil, nil
		}))
		must(b, l.FuncNew("key-value", "get", get, func(c *wasmtime.Caller, a []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			mem := c.GetExport("memory").Memory().UnsafeData(c)
			key := string(mem[a[1].I32() : a[1].I32()+a[2].I32()])
			v, err := s.Get(context.Background(), key)
			if err != nil {
				return nil, wasmtime.NewTrap(err.Error())
			}
			p, err := c.GetExport("canonical_abi_realloc").Func().Call(c, 0, 0, 1, len(v))
			if err != nil {
				return nil, wasmtime.NewTrap(err.Error())
			}
			mem = c.GetExport("memory").Memory().UnsafeData(c)
			copy(mem[p.(int32):], v)
			ret := a[3].I32()
			mem[ret] = 0
			binary.LittleEndian.PutUint32(mem[ret+4:], uint32(p.(int32)))
			binary.LittleEndian.PutUint32(mem[ret+8:], uint32(len(v)))
			return nil, nil
		}))
		st := wasmtime.NewStore(eng)
		defer st.Close()
		inst, err := l.Instantiate(st, m)
		if err != nil {
			b.Fatal(err)
		}
		h, err := inst.GetFunc(st, "open-default").Call(st)
		if err != nil {
			b.Fatal(err)
		}
		f := inst.GetFunc(st, "get")
		for b.Loop() {
			if r, err := f.Call(st, h); err != nil || r.(int32) != 0 {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("store-only", func(b *testing.B) {
		s := benchStore(b)
		ctx := context.Background()
		for b.Loop() {
			if _, err := s.Get(ctx, "bench-key"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRequestShape is the host-side shape of one HTTP request through
// the Spin executor: a fresh instance, 20 Alloc+Write steps, one Call, a
// Read and a few Free calls, then Close.
func BenchmarkRequestShape(b *testing.B) {
	e := testEngine(b, &Options{MaxInstances: 64})
	c, err := e.Compile(context.Background(), Config{ID: "bench", Wasm: testwasm.Wat(b, guestWAT(""))})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	payload := []byte("spin-full-url: http://localhost:3000/hello?x=1")
	for b.Loop() {
		i, err := c.Instantiate(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var last uint32
		for range 20 {
			p, err := i.Alloc(1, uint32(len(payload)))
			if err != nil {
				b.Fatal(err)
			}
			if err := i.Write(p, payload); err != nil {
				b.Fatal(err)
			}
			last = p
		}
		if _, err := i.Call("close", 0); err != nil {
			b.Fatal(err)
		}
		if _, err := i.Read(last, uint32(len(payload))); err != nil {
			b.Fatal(err)
		}
		for range 3 {
			if err := i.Free(last, uint32(len(payload)), 1); err != nil {
				b.Fatal(err)
			}
		}
		i.Close()
	}
}
