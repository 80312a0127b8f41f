package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"
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
