package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"unsafe"
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

// errorText returns the message of err and frees it.
func errorText(err *C.wasmtime_error_t) string {
	var msg C.wasm_byte_vec_t
	C.wasmtime_error_message(err, &msg)
	C.wasmtime_error_delete(err)
	return byteVecString(&msg, false)
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
