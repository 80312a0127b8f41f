package wasmtimex

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/cgo"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrLayout reports that the installed wasmtime-go no longer has the
	// struct layout this package reads with unsafe; the package refuses to
	// work until it is updated.
	ErrLayout = errors.New("wasmtimex: unsupported wasmtime-go layout")
	// ErrClosed is returned by operations on a closed Store or InstancePre,
	// or on a wasmtime-go object that was closed.
	ErrClosed = errors.New("wasmtimex: closed")
	// ErrWrongStore is returned when an Instance, Func or Memory is used
	// with a store other than the one it belongs to, or when an InstancePre
	// is instantiated into a store of another engine.
	ErrWrongStore = errors.New("wasmtimex: object used with the wrong store")
	// ErrNotFound is returned when an export does not exist or is not of
	// the requested kind.
	ErrNotFound = errors.New("wasmtimex: export not found")
	// ErrUnsupportedType is returned for functions whose parameters or
	// results are not all i32, i64, f32 or f64.
	ErrUnsupportedType = errors.New("wasmtimex: unsupported function type")
	// ErrShortArgs is returned by Func.Call when the value slice is shorter
	// than Func.Len.
	ErrShortArgs = errors.New("wasmtimex: value slice too short")
	// ErrCallerExpired is returned by Caller methods used after the host
	// function that received the Caller returned.
	ErrCallerExpired = errors.New("wasmtimex: caller used after its host function returned")
	// ErrStoreBusy is returned by Store.Close called while the store is
	// executing guest code (from a host function or epoch callback).
	ErrStoreBusy = errors.New("wasmtimex: store is executing guest code")
	// ErrInvalidName is returned for module or function names that are not
	// valid UTF-8.
	ErrInvalidName = errors.New("wasmtimex: name is not valid UTF-8")
)

// Val is one raw WebAssembly value, laid out exactly like the C API's
// wasmtime_val_raw_t: 16 bytes, little-endian, the value in the low bytes.
// An i32 occupies the low 32 bits of Lo; bits above a value's width are
// unspecified in results, so read values with the typed accessors.
type Val struct {
	Lo, Hi uint64
}

// ValI32 returns v as a raw value.
func ValI32(v int32) Val { return Val{Lo: uint64(uint32(v))} }

// ValI64 returns v as a raw value.
func ValI64(v int64) Val { return Val{Lo: uint64(v)} }

// ValF32 returns v as a raw value.
func ValF32(v float32) Val { return Val{Lo: uint64(math.Float32bits(v))} }

// ValF64 returns v as a raw value.
func ValF64(v float64) Val { return Val{Lo: math.Float64bits(v)} }

// I32 returns v read as an i32.
func (v Val) I32() int32 { return int32(uint32(v.Lo)) }

// U32 returns v read as an i32 reinterpreted as unsigned (a guest pointer).
func (v Val) U32() uint32 { return uint32(v.Lo) }

// I64 returns v read as an i64.
func (v Val) I64() int64 { return int64(v.Lo) }

// F32 returns v read as an f32.
func (v Val) F32() float32 { return math.Float32frombits(uint32(v.Lo)) }

// F64 returns v read as an f64.
func (v Val) F64() float64 { return math.Float64frombits(v.Lo) }

// TrapCode identifies why wasm trapped (wasmtime_trap_code_t).
type TrapCode uint8

// Trap codes, in the order of wasmtime's trap.h.
const (
	TrapStackOverflow TrapCode = iota
	TrapMemoryOutOfBounds
	TrapHeapMisaligned
	TrapTableOutOfBounds
	TrapIndirectCallToNull
	TrapBadSignature
	TrapIntegerOverflow
	TrapIntegerDivisionByZero
	TrapBadConversionToInteger
	TrapUnreachableCodeReached
	TrapInterrupt
	TrapAlwaysTrapAdapter
	TrapOutOfFuel
	// TrapUnknown means the failure carried no trap code (for example a
	// trap raised by a host function, or a non-trap wasmtime error).
	TrapUnknown TrapCode = 255
)

// TrapError reports that wasm execution (a call or an instantiation) did not
// complete because of a trap or a wasmtime error.
type TrapError struct {
	// Message is wasmtime's description, including the wasm backtrace if
	// wasmtime provides one.
	Message string
	// Code is the trap code, or TrapUnknown.
	Code TrapCode
}

// Error implements error.
func (e *TrapError) Error() string { return "wasmtimex: wasm trap: " + e.Message }

// ExitError reports that the guest called WASI proc_exit.
type ExitError struct {
	// Status is the exit status the guest passed to proc_exit.
	Status int
}

// Error implements error.
func (e *ExitError) Error() string {
	return fmt.Sprintf("wasmtimex: guest exited with status %d", e.Status)
}

// Pooling configures wasmtime's pooling instance allocator. A zero field
// keeps wasmtime's default for it (shown in brackets).
type Pooling struct {
	// TotalCoreInstances is the number of instances that may exist at once
	// across all stores of the engine [1000].
	TotalCoreInstances uint32
	// TotalMemories is the number of linear memories that may exist at
	// once [1000].
	TotalMemories uint32
	// TotalTables is the number of tables that may exist at once [1000].
	TotalTables uint32
	// MaxUnusedWarmSlots is how many freed slots are kept warm [100].
	MaxUnusedWarmSlots uint32
	// MaxMemorySize is the largest size in bytes any linear memory may grow
	// to; memory.grow beyond it fails [4 GiB on 64-bit hosts].
	MaxMemorySize uint64
	// LinearMemoryKeepResident is how many bytes of each freed linear memory
	// stay mapped (zeroed with memset instead of unmapped) for reuse [0].
	// Keeping some resident is what lets instantiation scale across cores.
	LinearMemoryKeepResident uint64
	// TableKeepResident is the same for tables [0].
	TableKeepResident uint64
	// MaxCoreInstanceSize is the largest VMContext size in bytes [1 MiB].
	MaxCoreInstanceSize uint64
	// TableElements is the largest table size in elements [20000].
	TableElements uint64
	// TotalStacks is the number of async execution stacks in the pool
	// [1000]; each is a mapping plus a guard page.
	TotalStacks uint32
	// TotalGCHeaps is the number of GC heaps in the pool [1000].
	TotalGCHeaps uint32
	// TotalComponentInstances is the number of component instances in the
	// pool [1000].
	TotalComponentInstances uint32
	// MemoryReservation, if non-zero, sets the engine's virtual memory
	// reservation per linear memory (Config.memory_reservation); each
	// pool slot reserves this much address space [4 GiB on 64-bit hosts].
	MemoryReservation uint64
	// MemoryGuardSize is the size in bytes of the guard region after each
	// linear memory, used only when SetMemoryGuardSize is true (so that 0
	// can be chosen) [32 MiB on 64-bit hosts].
	MemoryGuardSize uint64
	// SetMemoryGuardSize makes MemoryGuardSize take effect.
	SetMemoryGuardSize bool
}

// EnablePooling switches cfg to the pooling instance allocator with limits
// p. Call it before wasmtime.NewEngineWithConfig(cfg). An engine whose pool
// is exhausted fails instantiation with an error (never blocks).
func EnablePooling(cfg *wasmtime.Config, p Pooling) error {
	if layoutErr != nil {
		return layoutErr
	}
	if cfg == nil {
		return fmt.Errorf("wasmtimex: enable pooling: nil config")
	}
	ptr := configPtr(cfg)
	if ptr == nil {
		return fmt.Errorf("wasmtimex: enable pooling: %w", ErrClosed)
	}
	C.spx_enable_pooling(ptr, C.spx_pooling{
		total_core_instances:        C.uint32_t(p.TotalCoreInstances),
		total_memories:              C.uint32_t(p.TotalMemories),
		total_tables:                C.uint32_t(p.TotalTables),
		max_unused_warm_slots:       C.uint32_t(p.MaxUnusedWarmSlots),
		max_memory_size:             C.uint64_t(p.MaxMemorySize),
		linear_memory_keep_resident: C.uint64_t(p.LinearMemoryKeepResident),
		table_keep_resident:         C.uint64_t(p.TableKeepResident),
		max_core_instance_size:      C.uint64_t(p.MaxCoreInstanceSize),
		table_elements:              C.uint64_t(p.TableElements),
		total_stacks:                C.uint32_t(p.TotalStacks),
		total_gc_heaps:              C.uint32_t(p.TotalGCHeaps),
		total_component_instances:   C.uint32_t(p.TotalComponentInstances),
		memory_reservation:          C.uint64_t(p.MemoryReservation),
		memory_guard_size:           C.uint64_t(p.MemoryGuardSize),
		set_guard:                   C.bool(p.SetMemoryGuardSize),
	})
	runtime.KeepAlive(cfg)
	return nil
}

// storeState is the Go state of a Store that host functions reach: calls
// into the guest pass h to the C shim, which hands it to host functions (see
// spx_current in shim.c). It holds no reference to the wasmtime.Store, so an
// unclosed store can still be collected.
type storeState struct {
	id     uint64 // wasmtime's store id, learned from the first instance; 0 = unknown
	active int    // calls into the guest in progress (Close refuses while > 0)
	data   any
	h      cgo.Handle // handle of this storeState; deleted by Close or cleanup

	// Reached from C through h (see shim.c): the epoch callback and the
	// WASI output writers.
	onEpoch        func() (uint64, error)
	stdout, stderr io.Writer

	// exports is InstantiateExports' buffer, passed to C (the array holds
	// no Go pointers).
	exports [8]C.spx_export
}

// Context is where wasm objects are used: a *Store, or a *Caller inside a
// host function. It is implemented only by this package's types.
type Context interface {
	context() (*C.wasmtime_context_t, *storeState, error)
}

// Store wraps a wasmtime-go Store created by this package. Like the
// wasmtime.Store it wraps, it is not safe for concurrent use. The Store owns
// the wasmtime.Store: use Wasmtime() to configure it (WASI, limits, epoch
// deadline, fuel) but close it only through Store.Close.
type Store struct {
	ws      *wasmtime.Store
	cx      *C.wasmtime_context_t
	st      *storeState
	cleanup runtime.Cleanup
}

// NewStore creates a store in engine. data is returned by Store.Data and
// Caller.Data, and also by wasmtime-go's Caller.Data in host functions
// defined through wasmtime-go.
func NewStore(engine *wasmtime.Engine, data any) (*Store, error) {
	if layoutErr != nil {
		return nil, layoutErr
	}
	if engine == nil {
		return nil, fmt.Errorf("wasmtimex: new store: nil engine")
	}
	st := &storeState{data: data}
	st.h = cgo.NewHandle(st)
	ws := wasmtime.NewStoreWithData(engine, data)
	s := &Store{ws: ws, cx: (*C.wasmtime_context_t)(unsafe.Pointer(ws.Context())), st: st}
	s.cleanup = runtime.AddCleanup(s, func(h cgo.Handle) { h.Delete() }, st.h)
	return s, nil
}

// Wasmtime returns the wrapped wasmtime-go store, for configuration.
func (s *Store) Wasmtime() *wasmtime.Store { return s.ws }

// Data returns the data passed to NewStore.
func (s *Store) Data() any { return s.st.data }

// Close deletes the wasmtime store and with it every instance, memory and
// host-function state in it (returning pooled slots to the pool). It is
// idempotent; afterwards operations on the store return ErrClosed. Called
// from a host function of this store (while guest code runs) it does
// nothing and returns ErrStoreBusy.
func (s *Store) Close() error {
	if s.cx == nil {
		return nil
	}
	if s.st.active > 0 {
		return fmt.Errorf("wasmtimex: close store: %w", ErrStoreBusy)
	}
	s.ws.Close()
	s.cx = nil
	s.cleanup.Stop()
	s.st.h.Delete()
	return nil
}

func (s *Store) context() (*C.wasmtime_context_t, *storeState, error) {
	if s.cx == nil || storePtr(s.ws) == nil {
		return nil, nil, ErrClosed
	}
	return s.cx, s.st, nil
}

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

func checkStore(cx Context, id C.uint64_t) (*C.wasmtime_context_t, *storeState, error) {
	if cx == nil {
		return nil, nil, ErrClosed
	}
	c, st, err := cx.context()
	if err != nil {
		return nil, nil, err
	}
	if st.id == 0 || st.id != uint64(id) {
		return nil, nil, ErrWrongStore
	}
	return c, st, nil
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

// Func is an exported function with only numeric parameters and results. It
// is a plain value, valid as long as its store.
type Func struct {
	f               C.wasmtime_func_t
	params, results uint32
	allI32          bool
}

// AllI32 reports whether every parameter and result is an i32, as in
// every canonical ABI function of the Spin 1.x ABI.
func (f Func) AllI32() bool { return f.allI32 }

// Params returns the number of parameters.
func (f Func) Params() int { return int(f.params) }

// Results returns the number of results.
func (f Func) Results() int { return int(f.results) }

// Len returns the minimum length of the slice passed to Call:
// max(Params, Results).
func (f Func) Len() int { return int(max(f.params, f.results)) }

// Call calls f without type checks (wasmtime_func_call_unchecked). On entry
// vals[:Params()] hold the arguments; on success vals[:Results()] hold the
// results. vals must have at least Len() elements (else ErrShortArgs); the
// caller decides how each value is typed. Reusing one vals slice per
// instance avoids an allocation per call.
//
// If the guest traps, Call returns a *TrapError. If a host function defined
// with DefineFuncUnchecked or an epoch callback returned an error that made
// the call fail, Call returns that error (matchable with errors.Is/As). A
// WASI proc_exit is an *ExitError.
func (f Func) Call(cx Context, vals []Val) error {
	c, st, err := checkStore(cx, f.f.store_id)
	if err != nil {
		return fmt.Errorf("wasmtimex: call: %w", err)
	}
	n := f.Len()
	if len(vals) < n {
		return fmt.Errorf("wasmtimex: call: %d values for %d: %w", len(vals), n, ErrShortArgs)
	}
	var p *C.wasmtime_val_raw_t
	if n > 0 {
		p = (*C.wasmtime_val_raw_t)(unsafe.Pointer(unsafe.SliceData(vals)))
	}
	st.active++
	r := C.spx_call(c, f.f, p, C.size_t(n), C.uintptr_t(st.h))
	st.active--
	runtime.KeepAlive(vals)
	runtime.KeepAlive(cx)
	return resultError(r)
}

// CallWithMemory is Call for a function whose instance has the memory mem:
// host functions called during the call find mem's contents with
// Caller.MemoryView, and CallWithMemory returns mem's contents after the
// call (also after a failed call), each without a call into C of its own.
func (f Func) CallWithMemory(cx Context, vals []Val, mem Memory) ([]byte, error) {
	c, st, err := checkStore(cx, f.f.store_id)
	if err != nil {
		return nil, fmt.Errorf("wasmtimex: call: %w", err)
	}
	if *(*C.uint64_t)(unsafe.Pointer(&mem.m)) != f.f.store_id {
		return nil, fmt.Errorf("wasmtimex: call: memory: %w", ErrWrongStore)
	}
	n := f.Len()
	if len(vals) < n {
		return nil, fmt.Errorf("wasmtimex: call: %d values for %d: %w", len(vals), n, ErrShortArgs)
	}
	var p *C.wasmtime_val_raw_t
	if n > 0 {
		p = (*C.wasmtime_val_raw_t)(unsafe.Pointer(unsafe.SliceData(vals)))
	}
	st.active++
	r := C.spx_call_mem(c, f.f, p, C.size_t(n), C.uintptr_t(st.h), mem.m)
	st.active--
	runtime.KeepAlive(vals)
	runtime.KeepAlive(cx)
	view := []byte{}
	if r.mem.size > 0 {
		view = unsafe.Slice((*byte)(unsafe.Pointer(r.mem.data)), int(r.mem.size))
	}
	return view, resultError(r.r)
}

// Memory is an exported linear memory. It is a plain value, valid as long
// as its store.
type Memory struct {
	m C.wasmtime_memory_t
}

// Data returns the memory's current contents. The slice aliases guest memory
// and is invalidated by anything that may grow the memory (any call into
// the guest), and by closing the store; fetch it again after each call.
func (m Memory) Data(cx Context) ([]byte, error) {
	c, _, err := checkStore(cx, *(*C.uint64_t)(unsafe.Pointer(&m.m)))
	if err != nil {
		return nil, fmt.Errorf("wasmtimex: memory: %w", err)
	}
	d := C.spx_memory_data(c, m.m)
	if d.size == 0 {
		return []byte{}, nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(d.data)), int(d.size)), nil
}

// resultError turns a spx_result into a Go error, freeing the C objects.
func resultError(r C.spx_result) error {
	if r.stale != 0 {
		cgo.Handle(r.stale).Delete()
	}
	var hostErr error
	if r.host_err != 0 {
		h := cgo.Handle(r.host_err)
		hostErr, _ = h.Value().(error)
		h.Delete()
	}
	if r.err == nil && r.trap == nil {
		return hostErr
	}
	return takeError(r.err, r.trap, hostErr)
}

// takeError frees err and trap and returns the error they describe; a
// non-nil hostErr (the Go error behind them) takes precedence.
func takeError(err *C.wasmtime_error_t, trap *C.wasm_trap_t, hostErr ...error) error {
	var out error
	if err != nil {
		var status C.int
		if C.wasmtime_error_exit_status(err, &status) {
			out = &ExitError{Status: int(status)}
		} else {
			var msg C.wasm_byte_vec_t
			C.wasmtime_error_message(err, &msg)
			out = &TrapError{Message: byteVecString(&msg, false), Code: TrapUnknown}
		}
		C.wasmtime_error_delete(err)
	}
	if trap != nil {
		var msg C.wasm_byte_vec_t
		C.wasm_trap_message(trap, &msg)
		te := &TrapError{Message: byteVecString(&msg, true), Code: TrapUnknown}
		var code C.wasmtime_trap_code_t
		if C.wasmtime_trap_code(trap, &code) {
			te.Code = TrapCode(code)
		}
		C.wasm_trap_delete(trap)
		if out == nil {
			out = te
		}
	}
	for _, h := range hostErr {
		if h != nil {
			return h
		}
	}
	return out
}

func byteVecString(v *C.wasm_byte_vec_t, nul bool) string {
	n := int(v.size)
	if nul && n > 0 && *(*byte)(unsafe.Add(unsafe.Pointer(v.data), n-1)) == 0 {
		n--
	}
	s := C.GoStringN(v.data, C.int(n))
	C.wasm_byte_vec_delete(v)
	return s
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
