package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// InstancePre is a module whose imports have been resolved against a linker
// once (wasmtime_instance_pre_t), so instantiating it repeatedly is cheap.
// It is safe for concurrent use. It holds its own references to the module
// and the linker's definitions; the wasmtime.Linker and wasmtime.Module may
// be closed after NewInstancePre returns.
type InstancePre struct {
	// funcTypes caches export name -> funcInfo: every instance of the module
	// has the same export types, and asking wasmtime for a function's type
	// costs more than the rest of the lookup.
	funcTypes sync.Map
	mu        sync.RWMutex
	ptr       *C.wasmtime_instance_pre_t
	engine    *wasmtime.Engine
	cleanup   runtime.Cleanup
}

// NewInstancePre resolves m's imports against l. Every import must be
// defined in l; host functions defined there (DefineFuncUnchecked,
// wasmtime-go's FuncNew/FuncWrap, DefineWasi) are usable. Items defined with
// a particular store (Linker.Define) cannot be pre-instantiated.
func NewInstancePre(l *wasmtime.Linker, m *wasmtime.Module) (*InstancePre, error) {
	if layoutErr != nil {
		return nil, layoutErr
	}
	if l == nil || m == nil {
		return nil, fmt.Errorf("wasmtimex: new instance pre: nil linker or module")
	}
	lp, mp := linkerPtr(l), modulePtr(m)
	if lp == nil || mp == nil {
		return nil, fmt.Errorf("wasmtimex: new instance pre: %w", ErrClosed)
	}
	var pre *C.wasmtime_instance_pre_t
	cerr := C.wasmtime_linker_instantiate_pre(lp, mp, &pre)
	runtime.KeepAlive(l)
	runtime.KeepAlive(m)
	if cerr != nil {
		return nil, fmt.Errorf("wasmtimex: new instance pre: %w", takeError(cerr, nil))
	}
	p := &InstancePre{ptr: pre, engine: l.Engine}
	p.cleanup = runtime.AddCleanup(p, func(ptr *C.wasmtime_instance_pre_t) {
		C.wasmtime_instance_pre_delete(ptr)
	}, pre)
	return p, nil
}

// Close frees the InstancePre. Instances already created are unaffected.
// It is idempotent; later Instantiate calls return ErrClosed.
func (p *InstancePre) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ptr == nil {
		return nil
	}
	p.cleanup.Stop()
	C.wasmtime_instance_pre_delete(p.ptr)
	p.ptr = nil
	return nil
}

// Instantiate creates a new instance in s, running the module's start
// function if it has one. A trap in the start function, an exhausted pool or
// a failing host function is returned as an error (see Func.Call).
func (p *InstancePre) Instantiate(s *Store) (Instance, error) {
	cx, st, err := s.context()
	if err != nil {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", err)
	}
	if s.ws.Engine != p.engine {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: store of another engine: %w", ErrWrongStore)
	}
	p.mu.RLock()
	if p.ptr == nil {
		p.mu.RUnlock()
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", ErrClosed)
	}
	st.active++
	r := C.spx_instantiate(p.ptr, cx, C.uintptr_t(st.h))
	st.active--
	p.mu.RUnlock()
	runtime.KeepAlive(s)
	if err := resultError(r); err != nil {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", err)
	}
	if st.id == 0 {
		st.id = uint64(r.inst.store_id)
	}
	return Instance{inst: r.inst, pre: p}, nil
}

// Instance is an instance living in a store (wasmtime_instance_t). It is a
// plain value, valid as long as its store; using it with another store
// returns ErrWrongStore.
type Instance struct {
	inst C.wasmtime_instance_t
	pre  *InstancePre // source of the export type cache; nil for zero Instance
}

// Func looks up the exported function name. It fails with ErrNotFound if
// there is no such function and with ErrUnsupportedType if its type uses
// anything but i32, i64, f32 and f64.
func (i Instance) Func(cx Context, name string) (Func, error) {
	c, _, err := checkStore(cx, i.inst.store_id)
	if err != nil {
		return Func{}, fmt.Errorf("wasmtimex: export %q: %w", name, err)
	}
	e := C.spx_instance_export(c, i.inst, cstr(name), C.size_t(len(name)))
	runtime.KeepAlive(name)
	if e.kind != C.WASMTIME_EXTERN_FUNC || i.pre == nil {
		return funcFromExport(c, e, name)
	}
	return i.pre.funcInfo(c, exportAs[C.wasmtime_func_t](&e), name)
}

// funcInfo returns the Func for the export name, whose type is cached.
func (p *InstancePre) funcInfo(c *C.wasmtime_context_t, f C.wasmtime_func_t, name string) (Func, error) {
	if v, ok := p.funcTypes.Load(name); ok {
		return v.(funcInfo).fn(f, name)
	}
	info := funcInfoOf(c, f)
	p.funcTypes.Store(name, info)
	return info.fn(f, name)
}

// Memory looks up the exported memory name (ErrNotFound if absent).
func (i Instance) Memory(cx Context, name string) (Memory, error) {
	c, _, err := checkStore(cx, i.inst.store_id)
	if err != nil {
		return Memory{}, fmt.Errorf("wasmtimex: export %q: %w", name, err)
	}
	e := C.spx_instance_export(c, i.inst, cstr(name), C.size_t(len(name)))
	runtime.KeepAlive(name)
	return memoryFromExport(e, name)
}

func funcFromExport(c *C.wasmtime_context_t, e C.spx_export, name string) (Func, error) {
	if e.kind != C.WASMTIME_EXTERN_FUNC {
		return Func{}, fmt.Errorf("wasmtimex: export %q is not a function: %w", name, ErrNotFound)
	}
	f := exportAs[C.wasmtime_func_t](&e)
	return funcInfoOf(c, f).fn(f, name)
}

// exportAs copies the start of e's union as a T. cgo gives the union as a
// byte array (alignment 1), so it is copied bytewise, not converted.
func exportAs[T any](e *C.spx_export) T {
	var v T
	n := unsafe.Sizeof(v)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&v)), n), unsafe.Slice((*byte)(unsafe.Pointer(&e.of)), n))
	return v
}

// funcInfo is what Func needs to know about a function's type.
type funcInfo struct {
	params, results uint32
	numeric, allI32 bool
}

func funcInfoOf(c *C.wasmtime_context_t, f C.wasmtime_func_t) funcInfo {
	info := C.spx_func_info(c, f)
	return funcInfo{params: uint32(info.nparams), results: uint32(info.nresults), numeric: bool(info.numeric), allI32: bool(info.all_i32)}
}

func (fi funcInfo) fn(f C.wasmtime_func_t, name string) (Func, error) {
	if !fi.numeric {
		return Func{}, fmt.Errorf("wasmtimex: export %q: %w", name, ErrUnsupportedType)
	}
	return Func{f: f, params: fi.params, results: fi.results, allI32: fi.allI32}, nil
}

func memoryFromExport(e C.spx_export, name string) (Memory, error) {
	if e.kind != C.WASMTIME_EXTERN_MEMORY {
		return Memory{}, fmt.Errorf("wasmtimex: export %q is not a memory: %w", name, ErrNotFound)
	}
	return Memory{m: exportAs[C.wasmtime_memory_t](&e)}, nil
}

// ExportList is a fixed list of export names that
// InstancePre.InstantiateExports looks up in the same call into C as the
// instantiation. It is immutable and safe for concurrent use.
type ExportList struct {
	names []string
	buf   []byte
	lens  []C.size_t
}

// NewExportList returns the list of names (each valid UTF-8).
func NewExportList(names ...string) (*ExportList, error) {
	l := &ExportList{names: append([]string(nil), names...)}
	for _, n := range names {
		if err := validName(n); err != nil {
			return nil, fmt.Errorf("wasmtimex: export list: %w", err)
		}
		l.buf = append(l.buf, n...)
		l.lens = append(l.lens, C.size_t(len(n)))
	}
	return l, nil
}

// Len returns the number of names.
func (l *ExportList) Len() int { return len(l.names) }

// Export is one export found by InstantiateExports: a function, a memory,
// another kind of export, or nothing. It is a plain value, valid as long as
// its store.
type Export struct {
	e    C.spx_export
	name string
	pre  *InstancePre
}

// Func returns the export as a function (see Instance.Func for the errors;
// cx must be the store it was found in).
func (x Export) Func(cx Context) (Func, error) {
	if x.e.kind != C.WASMTIME_EXTERN_FUNC {
		return Func{}, fmt.Errorf("wasmtimex: export %q is not a function: %w", x.name, ErrNotFound)
	}
	f := exportAs[C.wasmtime_func_t](&x.e)
	c, _, err := checkStore(cx, f.store_id)
	if err != nil {
		return Func{}, fmt.Errorf("wasmtimex: export %q: %w", x.name, err)
	}
	return x.pre.funcInfo(c, f, x.name)
}

// Memory returns the export as a memory (ErrNotFound if it is not one).
func (x Export) Memory() (Memory, error) { return memoryFromExport(x.e, x.name) }

// InstantiateExports is Instantiate followed, in the same call into C, by
// the lookup of the exports in list: out[i] receives list's name i (out
// must have list.Len() elements). An export that does not exist is an
// Export whose Func and Memory methods return ErrNotFound.
func (p *InstancePre) InstantiateExports(s *Store, list *ExportList, out []Export) (Instance, error) {
	if len(out) != list.Len() {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %d exports for a list of %d", len(out), list.Len())
	}
	cx, st, err := s.context()
	if err != nil {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", err)
	}
	if s.ws.Engine != p.engine {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: store of another engine: %w", ErrWrongStore)
	}
	es := st.exports[:0] // a buffer in the store's state: no allocation
	if len(out) > len(st.exports) {
		es = make([]C.spx_export, 0, len(out))
	}
	es = es[:len(out)]
	var names *C.char
	var lens *C.size_t
	if len(list.buf) > 0 {
		names = (*C.char)(unsafe.Pointer(&list.buf[0]))
	}
	if len(list.lens) > 0 {
		lens = &list.lens[0]
	}
	var ep *C.spx_export
	if len(es) > 0 {
		ep = &es[0]
	}
	p.mu.RLock()
	if p.ptr == nil {
		p.mu.RUnlock()
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", ErrClosed)
	}
	st.active++
	r := C.spx_instantiate_exports(p.ptr, cx, C.uintptr_t(st.h), names, lens, C.size_t(len(es)), ep)
	st.active--
	p.mu.RUnlock()
	runtime.KeepAlive(s)
	runtime.KeepAlive(list)
	if err := resultError(r); err != nil {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", err)
	}
	if st.id == 0 {
		st.id = uint64(r.inst.store_id)
	}
	for i := range es {
		out[i] = Export{e: es[i], name: list.names[i], pre: p}
	}
	return Instance{inst: r.inst, pre: p}, nil
}

// cstr returns a pointer to s's bytes for C (not NUL-terminated; pass the
// length too). Unlike C._GoStringPtr it is not a cgo call.
func cstr(s string) *C.char {
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s)))
}

func validName(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q", ErrInvalidName, s)
	}
	return nil
}
