package wasmtimex

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"strings"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// hostFunc is the Go side of one DefineFuncUnchecked definition. The linker
// owns it through a cgo.Handle that wasmtime's finalizer deletes.
type hostFunc struct {
	module, name string
	fn           func(c *Caller, argsAndResults []Val) error
}

// Caller is what a host function defined with DefineFuncUnchecked receives:
// access to the calling instance's exports and its store. It is valid only
// during that host function; afterwards its methods return ErrCallerExpired.
// It implements Context, so Func.Call and Memory.Data accept it: calls back
// into the guest from a host function must use the Caller, not the Store.
type Caller struct {
	ptr *C.wasmtime_caller_t
	cx  *C.wasmtime_context_t
	st  *storeState
	// view is the memory named by the Func.CallWithMemory or ReallocMany
	// that entered the guest, as of the host function's entry.
	view    []byte
	hasView bool
}

// MemoryView returns the contents, as of this host function's entry, of
// the memory that the Func.CallWithMemory or ReallocMany which entered
// the guest named, and true; or false if the guest was entered otherwise.
// It costs no call into C. Like Memory.Data's slice, it is invalid after
// any call into the guest.
func (c *Caller) MemoryView() ([]byte, bool) {
	if c.ptr == nil || !c.hasView {
		return nil, false
	}
	return c.view, true
}

// errNotEntered: the host function was reached without going through this
// package's Func.Call or InstancePre.Instantiate (for example through
// wasmtime-go's Func.Call), so its store is unknown.
var errNotEntered = fmt.Errorf("wasmtimex: guest not entered through wasmtimex: %w", ErrWrongStore)

func (c *Caller) context() (*C.wasmtime_context_t, *storeState, error) {
	if c.ptr == nil {
		return nil, nil, ErrCallerExpired
	}
	if c.st == nil {
		return nil, nil, errNotEntered
	}
	return c.cx, c.st, nil
}

// Data returns the data passed to NewStore for the calling store (nil if the
// Caller has expired or the guest was not entered through this package).
func (c *Caller) Data() any {
	if c.ptr == nil || c.st == nil {
		return nil
	}
	return c.st.data
}

// Func looks up the calling instance's exported function name (see
// Instance.Func).
func (c *Caller) Func(name string) (Func, error) {
	e, err := c.export(name)
	if err != nil {
		return Func{}, err
	}
	return funcFromExport(c.cx, e, name)
}

// Memory looks up the calling instance's exported memory name.
func (c *Caller) Memory(name string) (Memory, error) {
	e, err := c.export(name)
	if err != nil {
		return Memory{}, err
	}
	return memoryFromExport(e, name)
}

func (c *Caller) export(name string) (C.spx_export, error) {
	if c.ptr == nil {
		return C.spx_export{}, fmt.Errorf("wasmtimex: export %q: %w", name, ErrCallerExpired)
	}
	e := C.spx_caller_export(c.ptr, cstr(name), C.size_t(len(name)))
	runtime.KeepAlive(name)
	if e.kind == C.WASMTIME_EXTERN_FUNC || e.kind == C.WASMTIME_EXTERN_MEMORY {
		// Learn the store's id from the export if no instance created
		// through InstancePre has told us yet.
		if c.st != nil && c.st.id == 0 {
			c.st.id = uint64(exportAs[C.uint64_t](&e))
		}
	}
	return e, nil
}

// DefineFuncUnchecked defines module.name in l as a host function with the
// given parameter and result types (only KindI32, KindI64, KindF32 and
// KindF64), called through wasmtime's unchecked (raw value) interface.
//
// fn receives argsAndResults, of length max(len(params), len(results)),
// aliasing wasmtime's value buffer: argsAndResults[:len(params)] hold the
// arguments on entry, and fn must leave the results in
// argsAndResults[:len(results)]. The slice and the Caller are valid only
// until fn returns. If fn returns an error or panics, the guest traps, and
// the Func.Call or InstancePre.Instantiate that entered the guest returns
// that error (a panic becomes an error that mentions it). fn may be called
// concurrently from different stores.
func DefineFuncUnchecked(l *wasmtime.Linker, module, name string, params, results []wasmtime.ValKind, fn func(c *Caller, argsAndResults []Val) error) error {
	if layoutErr != nil {
		return layoutErr
	}
	if l == nil || fn == nil {
		return fmt.Errorf("wasmtimex: define %s.%s: nil linker or function", module, name)
	}
	if err := errors.Join(validName(module), validName(name)); err != nil {
		return fmt.Errorf("wasmtimex: define: %w", err)
	}
	lp := linkerPtr(l)
	if lp == nil {
		return fmt.Errorf("wasmtimex: define %s.%s: %w", module, name, ErrClosed)
	}
	kinds := make([]C.uint8_t, 0, len(params)+len(results)+1)
	for _, k := range append(append([]wasmtime.ValKind{}, params...), results...) {
		switch k {
		case wasmtime.KindI32, wasmtime.KindI64, wasmtime.KindF32, wasmtime.KindF64:
			kinds = append(kinds, C.uint8_t(k))
		default:
			return fmt.Errorf("wasmtimex: define %s.%s: value kind %v: %w", module, name, k, ErrUnsupportedType)
		}
	}
	kinds = append(kinds, 0) // keep &kinds[0] valid when there are no types
	h := cgo.NewHandle(&hostFunc{module: module, name: name, fn: fn})
	// From here on wasmtime owns h: its finalizer deletes it, also when the
	// definition fails.
	cerr := C.spx_define_func_unchecked(lp,
		cstr(module), C.size_t(len(module)),
		cstr(name), C.size_t(len(name)),
		&kinds[0], C.size_t(len(params)),
		&kinds[len(params)], C.size_t(len(results)),
		C.uintptr_t(h))
	runtime.KeepAlive(l)
	runtime.KeepAlive(module)
	runtime.KeepAlive(name)
	runtime.KeepAlive(kinds)
	if cerr != nil {
		return fmt.Errorf("wasmtimex: define %s.%s: %w", module, name, takeError(cerr, nil))
	}
	return nil
}

//export spxHostCall
func spxHostCall(env, store C.uintptr_t, caller *C.wasmtime_caller_t, cx *C.wasmtime_context_t, vals *C.wasmtime_val_raw_t, n C.size_t, mem *C.uint8_t, memSize C.size_t, hasMem C.bool) (trap *C.wasm_trap_t, errHandle C.uintptr_t) {
	hf := cgo.Handle(env).Value().(*hostFunc)
	c := &Caller{ptr: caller, cx: cx, hasView: bool(hasMem)}
	if c.hasView {
		c.view = []byte{}
		if memSize > 0 {
			c.view = unsafe.Slice((*byte)(unsafe.Pointer(mem)), int(memSize))
		}
	}
	if store != 0 {
		c.st, _ = cgo.Handle(store).Value().(*storeState)
	}
	var args []Val
	if n > 0 {
		args = unsafe.Slice((*Val)(unsafe.Pointer(vals)), int(n))
	}
	err := callHost(hf, c, args)
	c.ptr, c.view = nil, nil
	if err == nil {
		return nil, 0
	}
	err = fmt.Errorf("wasmtimex: host function %s.%s: %w", hf.module, hf.name, err)
	return newTrap(trapMessage(err)), C.uintptr_t(cgo.NewHandle(err))
}

func callHost(hf *hostFunc, c *Caller, args []Val) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return hf.fn(c, args)
}

// maxTrapMessage bounds the text put into a wasmtime trap or error for a Go
// error. The Go error itself reaches the caller intact; the text is only
// seen by code that enters the guest without this package.
const maxTrapMessage = 512

// trapMessage returns err's text, shortened and made valid UTF-8 (wasmtime
// takes Rust strings).
func trapMessage(err error) string {
	msg := err.Error()
	if len(msg) > maxTrapMessage {
		msg = msg[:maxTrapMessage] + "..."
	}
	return strings.ToValidUTF8(msg, "\uFFFD")
}

func newTrap(msg string) *C.wasm_trap_t {
	t := C.wasmtime_trap_new(cstr(msg), C.size_t(len(msg)))
	runtime.KeepAlive(msg)
	return t
}

//export spxDeleteHandle
func spxDeleteHandle(h C.uintptr_t) {
	cgo.Handle(h).Delete()
}

// SetEpochDeadlineCallback makes s call fn whenever guest code in s reaches
// its epoch deadline (set the first one with s.Wasmtime().SetEpochDeadline,
// on an engine configured with SetEpochInterruption(true); advance epochs
// with Engine.IncrementEpoch). If fn returns a nil error, the guest goes on
// and its next deadline is delta epochs later. If fn returns an error (or
// panics), the guest is stopped and the Func.Call or Instantiate that
// entered it returns that error, so fn can return ctx.Err(). fn runs on the
// goroutine that called into the guest. It replaces any previous callback;
// the store releases fn when closed. NewStoreConfig sets one up for less.
func SetEpochDeadlineCallback(s *Store, fn func() (delta uint64, err error)) error {
	if _, _, err := s.context(); err != nil {
		return fmt.Errorf("wasmtimex: epoch callback: %w", err)
	}
	if fn == nil {
		return fmt.Errorf("wasmtimex: epoch callback: nil function")
	}
	s.st.onEpoch = fn
	C.spx_set_epoch_callback(storePtr(s.ws), C.uintptr_t(s.st.h))
	runtime.KeepAlive(s)
	return nil
}

// spxEpoch runs the epoch callback of the store whose state has handle h.
//
//export spxEpoch
func spxEpoch(h C.uintptr_t) (delta C.uint64_t, cerr *C.wasmtime_error_t, errHandle C.uintptr_t) {
	st, _ := cgo.Handle(h).Value().(*storeState)
	var d uint64
	err := errors.New("no epoch callback")
	if st != nil && st.onEpoch != nil {
		d, err = callEpoch(st.onEpoch)
	}
	if err == nil {
		return C.uint64_t(d), nil, 0
	}
	err = fmt.Errorf("wasmtimex: epoch deadline: %w", err)
	msg := C.CString(trapMessage(err))
	cerr = C.wasmtime_error_new(msg)
	C.free(unsafe.Pointer(msg))
	return 0, cerr, C.uintptr_t(cgo.NewHandle(err))
}

func callEpoch(fn func() (uint64, error)) (d uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}
