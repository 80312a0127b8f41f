package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"io"
	"runtime"
	"runtime/cgo"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

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
