package testwasm_test

import (
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
)

// TestRealloc shows what the test guests rely on from Realloc: blocks
// start at $heap, are aligned as asked, follow each other, grow memory
// when they do not fit, and trap when memory cannot grow.
func TestRealloc(t *testing.T) {
	wasm := testwasm.Wat(t, `(module
  (memory (export "memory") 1 2)
  (global $heap (mut i32) (i32.const 1024))`+testwasm.Realloc+`
  (func (export "pages") (result i32) (memory.size)))`)
	store := wasmtime.NewStore(wasmtime.NewEngine())
	defer store.Close()
	mod, err := wasmtime.NewModule(store.Engine, wasm)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := wasmtime.NewInstance(store, mod, nil)
	if err != nil {
		t.Fatal(err)
	}
	realloc := inst.GetFunc(store, "canonical_abi_realloc")
	pages := inst.GetFunc(store, "pages")
	steps := []struct {
		name        string
		align, size int32
		want        int32
		wantPages   int32
	}{
		{"first block at heap", 1, 3, 1024, 1},
		{"aligned to 8", 8, 8, 1032, 1},
		{"zero size", 4, 0, 1040, 1},
		{"grows memory", 4, 70000, 1040, 2},
		{"after the grown block", 1, 1, 71040, 2},
	}
	for _, s := range steps {
		got, err := realloc.Call(store, 0, 0, s.align, s.size)
		if err != nil {
			t.Fatalf("%s: realloc(0, 0, %d, %d): %v", s.name, s.align, s.size, err)
		}
		n, err := pages.Call(store)
		if err != nil {
			t.Fatal(err)
		}
		if got.(int32) != s.want || n.(int32) != s.wantPages {
			t.Errorf("%s: realloc(0, 0, %d, %d) = %d with %d pages, want %d with %d", s.name, s.align, s.size, got, n, s.want, s.wantPages)
		}
	}
	// Memory is at its maximum of 2 pages: a block past it traps.
	if _, err := realloc.Call(store, 0, 0, 1, 65536); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("realloc past the memory's maximum = %v, want an unreachable trap", err)
	}
}
