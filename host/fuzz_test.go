package host

import (
	"context"
	"testing"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// fakeGuest is guest memory without wasm: a byte slice and a realloc that
// hands out fuzzer-chosen pointers, possibly lying.
type fakeGuest struct {
	mem        []byte
	next, step uint32
}

func (g *fakeGuest) memory() []byte { return g.mem }

func (g *fakeGuest) realloc(align, size uint32) (uint32, error) {
	p := g.next
	g.next += g.step
	return checkAlloc(g.mem, p, align, size)
}

// FuzzHostFuncs runs every key-value and spin-config import on random guest
// memory with random pointers, lengths, handles and return areas: each call
// either succeeds or returns an error (which traps the guest); none panics.
func FuzzHostFuncs(f *testing.F) {
	f.Add(uint8(0), []byte("default\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), uint32(0), uint32(7), uint32(8), uint32(0), uint32(0), uint32(0), uint32(24), uint32(1))
	f.Add(uint8(1), []byte("key\xffvalue............................."), uint32(0), uint32(0), uint32(3), uint32(8), uint32(0), uint32(0), uint32(16), uint32(4))
	f.Add(uint8(5), make([]byte, 64), uint32(0), uint32(32), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0xFFFFFFF0), uint32(8))
	f.Add(uint8(7), []byte("message..........................."), uint32(0), uint32(7), uint32(8), uint32(0), uint32(0), uint32(0), uint32(16), uint32(4))
	names := []string{
		"key-value.open", "key-value.get", "key-value.set", "key-value.delete",
		"key-value.exists", "key-value.get-keys", "key-value.close", "spin-config.get-config",
	}
	s := memory.New()
	ctx := context.Background()
	for _, k := range []string{"a", "bb", "key", ""} {
		if err := s.Set(ctx, k, []byte("value of "+k)); err != nil {
			f.Fatal(err)
		}
	}
	comp := &Module{
		id:      "fuzz",
		cfg:     Config{Stores: kv.Stores{"default": s}, Variables: map[string]string{"message": "hi"}},
		allowed: map[string]string{"default": "default", "missing": "missing"},
	}
	f.Fuzz(func(t *testing.T, which uint8, mem []byte, a0, a1, a2, a3, a4, a5, start, step uint32) {
		if len(mem) > 1<<16 {
			mem = mem[:1<<16]
		}
		hf, ok := lookupHostFunc(names[int(which)%len(names)])
		if !ok {
			t.Fatal("missing host function")
		}
		st := &instanceState{comp: comp, ctx: ctx, nextHandle: 1, maxHandles: 1 << 32}
		st.handles.put(0, s)
		g := &fakeGuest{mem: mem, next: start, step: step}
		args := []uint64{uint64(a0), uint64(a1), uint64(a2), uint64(a3), uint64(a4), uint64(a5)}[:hf.params]
		_ = hf.fn(st, g, args) // a panic fails the fuzz test
	})
}
