package wasmtimex

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// TestLayout fails if a wasmtime-go upgrade changed the wrapper structs this
// package reads with unsafe. If it fails, re-read wasmtime-go's sources and
// update layout.go and shim.h before anything else.
func TestLayout(t *testing.T) {
	if layoutErr != nil {
		t.Fatalf("wasmtime-go layout changed: %v", layoutErr)
	}
	for _, w := range layoutWants() {
		f := w.typ.Field(0)
		t.Logf("wasmtime.%s: field 0 = %s %s", w.typ.Name(), f.Name, f.Type)
	}
}

// TestPointerRoundTrip checks that the pointers read with unsafe are the ones
// wasmtime-go itself uses, by going through both APIs.
func TestPointerRoundTrip(t *testing.T) {
	e := wasmtime.NewEngine()
	defer e.Close()
	ws := wasmtime.NewStore(e)
	defer ws.Close()
	// Store: our store pointer maps to the context wasmtime-go hands out.
	if got, want := storeContext(storePtr(ws)), unsafe.Pointer(ws.Context()); got != want {
		t.Fatalf("store pointer: context %p, wasmtime-go says %p", got, want)
	}
}

// TestCStructSizes checks the hand-written C declarations in shim.h against
// the same types compiled by wasmtime-go from the real v39 headers.
func TestCStructSizes(t *testing.T) {
	if a := reflect.TypeFor[Val]().Align(); a != 8 {
		t.Errorf("alignof(Val) = %d, want 8 like wasmtime_val_raw_t", a)
	}
	for _, c := range cLayouts() {
		if c.mineSize != c.theirSize {
			t.Errorf("sizeof(%s): shim.h %d, wasmtime headers %d", c.name, c.mineSize, c.theirSize)
		}
		if c.theirs == nil {
			continue
		}
		// Same fields at the same offsets (cgo names anonymous members
		// anon0, anon1, ... in both).
		if c.mine.NumField() != c.theirs.NumField() {
			t.Errorf("%s: %d fields, wasmtime headers %d", c.name, c.mine.NumField(), c.theirs.NumField())
			continue
		}
		for i := range c.mine.NumField() {
			m, th := c.mine.Field(i), c.theirs.Field(i)
			if m.Offset != th.Offset || m.Type.Size() != th.Type.Size() {
				t.Errorf("%s field %d: %s at %d size %d; wasmtime headers: %s at %d size %d",
					c.name, i, m.Name, m.Offset, m.Type.Size(), th.Name, th.Offset, th.Type.Size())
			}
		}
	}
}
