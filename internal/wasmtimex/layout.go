package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go v39 keeps the C pointer of each wrapper object in an
// unexported first field (type Store struct{ _ptr *C.wasmtime_store_t; ... }).
// Only (*wasmtime.Store).Context is exported, so this file reads the others
// with unsafe. layoutErr records, once at start-up, whether the wrapper
// structs still look the way this code expects; every entry point refuses to
// work (returning ErrLayout) if they do not. TestLayout fails loudly too.

// layoutErr is computed once during package initialisation and never
// changes afterwards.
var layoutErr = checkLayout()

type layoutWant struct {
	typ   reflect.Type
	field string // name of field 0
	ctype string // name of the Go type cgo generates for the pointee
}

func layoutWants() []layoutWant {
	return []layoutWant{
		{reflect.TypeFor[wasmtime.Store](), "_ptr", "_Ctype_struct_wasmtime_store"},
		{reflect.TypeFor[wasmtime.Linker](), "_ptr", "_Ctype_struct_wasmtime_linker"},
		{reflect.TypeFor[wasmtime.Module](), "_ptr", "_Ctype_struct_wasmtime_module"},
		{reflect.TypeFor[wasmtime.Config](), "_ptr", "_Ctype_struct_wasm_config_t"},
	}
}

func checkLayout() error {
	var errs []error
	for _, w := range layoutWants() {
		if w.typ.NumField() == 0 {
			errs = append(errs, fmt.Errorf("wasmtime.%s has no fields", w.typ.Name()))
			continue
		}
		f := w.typ.Field(0)
		if f.Name != w.field || f.Offset != 0 || f.Type.Kind() != reflect.Pointer ||
			f.Type.Elem().Name() != w.ctype || f.Type.Size() != unsafe.Sizeof(uintptr(0)) {
			errs = append(errs, fmt.Errorf("wasmtime.%s field 0 is %s %v, want %s *%s",
				w.typ.Name(), f.Name, f.Type, w.field, w.ctype))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrLayout, errors.Join(errs...))
	}
	return nil
}

// firstPtr reads the unexported first field of a wasmtime-go wrapper object.
// Only call it with the types listed in layoutWants, after checking layoutErr.
func firstPtr[T any](obj *T) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(obj))
}

func storePtr(s *wasmtime.Store) *C.wasmtime_store_t {
	return (*C.wasmtime_store_t)(firstPtr(s))
}

func linkerPtr(l *wasmtime.Linker) *C.wasmtime_linker_t {
	return (*C.wasmtime_linker_t)(firstPtr(l))
}

func modulePtr(m *wasmtime.Module) *C.wasmtime_module_t {
	return (*C.wasmtime_module_t)(firstPtr(m))
}

func configPtr(c *wasmtime.Config) *C.wasm_config_t {
	return (*C.wasm_config_t)(firstPtr(c))
}

// storeContext is wasmtime_store_context, for the layout round-trip test.
func storeContext(p *C.wasmtime_store_t) unsafe.Pointer {
	return unsafe.Pointer(C.wasmtime_store_context(p))
}

// cLayout pairs a struct declared by hand in shim.h with the same C type as
// wasmtime-go compiled it from the real v39 headers (reached through the
// field types of wasmtime-go's wrappers).
type cLayout struct {
	name      string
	mine      reflect.Type
	theirs    reflect.Type
	mineSize  uintptr
	wantSize  uintptr // from the header's own static_asserts, 0 = use theirs
	theirSize uintptr
}

func cLayouts() []cLayout {
	field0 := func(t reflect.Type) reflect.Type { return t.Field(0).Type }
	ls := []cLayout{
		{name: "wasmtime_func_t", mine: reflect.TypeFor[C.wasmtime_func_t](), theirs: field0(reflect.TypeFor[wasmtime.Func]())},
		{name: "wasmtime_memory_t", mine: reflect.TypeFor[C.wasmtime_memory_t](), theirs: field0(reflect.TypeFor[wasmtime.Memory]())},
		{name: "wasmtime_instance_t", mine: reflect.TypeFor[C.wasmtime_instance_t](), theirs: field0(reflect.TypeFor[wasmtime.Instance]())},
		{name: "wasmtime_extern_t", mine: reflect.TypeFor[C.wasmtime_extern_t](), theirs: field0(reflect.TypeFor[wasmtime.Extern]()).Elem()},
		{name: "wasmtime_val_raw_t", mine: reflect.TypeFor[C.wasmtime_val_raw_t](), wantSize: 16},
		{name: "wasmtimex.Val", mine: reflect.TypeFor[Val](), wantSize: 16},
		// Not wasmtime's: ReallocMany passes []Alloc to C as spx_alloc[].
		{name: "spx_alloc", mine: reflect.TypeFor[C.spx_alloc](), theirs: reflect.TypeFor[Alloc]()},
	}
	for i := range ls {
		ls[i].mineSize = ls[i].mine.Size()
		if ls[i].theirs != nil {
			ls[i].theirSize = ls[i].theirs.Size()
		} else {
			ls[i].theirSize = ls[i].wantSize
		}
	}
	return ls
}
