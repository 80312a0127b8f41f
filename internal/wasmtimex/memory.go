package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

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

// Alloc is one allocation made by ReallocMany. Its layout matches shim.h's
// spx_alloc.
type Alloc struct {
	// Align and Size are realloc's alignment and size arguments.
	Align, Size uint32
	// Ptr is set to the pointer realloc returned.
	Ptr uint32
	// Copy makes the next Size bytes of ReallocMany's data the contents of
	// the block; without it the block is left as realloc returned it.
	Copy bool
	_    [3]byte // spx_alloc's tail padding, made explicit
}

// ErrOutOfBounds is returned by ReallocMany when realloc returns a block
// that does not lie inside linear memory.
var ErrOutOfBounds = errors.New("wasmtimex: realloc returned a block outside linear memory")

// ReallocMany calls the guest's realloc(0, 0, a.Align, a.Size) for each a
// in allocs, in order, checks that each block lies inside mem, and copies
// the contents of the blocks marked Copy from data (consecutively; len(data)
// must be their total size). It does in one call into C what len(allocs)
// calls of Func.Call and Memory.Data would. realloc must have the type
// (i32, i32, i32, i32) -> i32.
//
// It returns the memory's contents after the last call (see Memory.Data)
// and the number of allocations completed. On a failure of realloc (see
// Func.Call) or a block outside memory (ErrOutOfBounds, with allocs[done].Ptr
// set) it stops there.
func ReallocMany(cx Context, realloc Func, mem Memory, allocs []Alloc, data []byte) (view []byte, done int, err error) {
	c, st, err := checkStore(cx, realloc.f.store_id)
	if err != nil {
		return nil, 0, fmt.Errorf("wasmtimex: realloc: %w", err)
	}
	if *(*C.uint64_t)(unsafe.Pointer(&mem.m)) != realloc.f.store_id {
		return nil, 0, fmt.Errorf("wasmtimex: realloc: memory: %w", ErrWrongStore)
	}
	if realloc.params != 4 || realloc.results != 1 || !realloc.allI32 {
		return nil, 0, fmt.Errorf("wasmtimex: realloc has %d parameters and %d results (all i32: %t), want (i32, i32, i32, i32) -> i32", realloc.params, realloc.results, realloc.allI32)
	}
	total := 0
	for _, a := range allocs {
		if a.Copy {
			total += int(a.Size)
		}
	}
	if total != len(data) {
		return nil, 0, fmt.Errorf("wasmtimex: realloc: %d bytes of data for %d bytes of blocks", len(data), total)
	}
	var ap *C.spx_alloc
	if len(allocs) > 0 {
		ap = (*C.spx_alloc)(unsafe.Pointer(&allocs[0]))
	}
	var dp *C.uint8_t
	if len(data) > 0 {
		dp = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	st.active++
	r := C.spx_realloc_many(c, realloc.f, mem.m, ap, C.size_t(len(allocs)), dp, C.uintptr_t(st.h))
	st.active--
	runtime.KeepAlive(allocs)
	runtime.KeepAlive(data)
	runtime.KeepAlive(cx)
	done = int(r.done)
	if r.mem_size > 0 {
		view = unsafe.Slice((*byte)(unsafe.Pointer(r.mem)), int(r.mem_size))
	} else {
		view = []byte{}
	}
	if err := resultError(r.r); err != nil {
		return view, done, err
	}
	if done < len(allocs) {
		a := allocs[done]
		return view, done, fmt.Errorf("%w: realloc(0, 0, %d, %d) returned %#x, memory is %d bytes", ErrOutOfBounds, a.Align, a.Size, a.Ptr, len(view))
	}
	return view, done, nil
}
