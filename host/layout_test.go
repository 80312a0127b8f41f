package host

import (
	"reflect"
	"testing"

	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// TestBlockLayout: allocMany hands []block to wasmtimex as []Alloc without
// copying, so the two must be laid out alike.
func TestBlockLayout(t *testing.T) {
	b, a := reflect.TypeFor[block](), reflect.TypeFor[wasmtimex.Alloc]()
	if b.Size() != a.Size() || b.Align() != a.Align() || b.NumField() != a.NumField() {
		t.Fatalf("block: size %d align %d fields %d; wasmtimex.Alloc: %d %d %d",
			b.Size(), b.Align(), b.NumField(), a.Size(), a.Align(), a.NumField())
	}
	for i := range b.NumField() {
		fb, fa := b.Field(i), a.Field(i)
		if fb.Name != fa.Name || fb.Offset != fa.Offset || fb.Type != fa.Type {
			t.Errorf("field %d: block.%s %s at %d; Alloc.%s %s at %d", i, fb.Name, fb.Type, fb.Offset, fa.Name, fa.Type, fa.Offset)
		}
	}
}
