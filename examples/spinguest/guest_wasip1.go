//go:build wasip1

package spinguest

import (
	"net/http"
	"unsafe"
)

// Guest state. A wasip1 guest is a single-threaded wasm program and each
// instance has its own copy of these, so package-level state is safe here.
var (
	guestHeap = newHeap(addrOf)
	handler   func(http.ResponseWriter, *http.Request)
	// respArea is handle-http-request's return area; kvArea is the return
	// area of every key-value import. Both stay alive for the program's
	// lifetime and are 4-byte aligned by the zero-length uint32 array.
	respArea struct {
		_ [0]uint32
		b [retSize]byte
	}
	kvArea struct {
		_ [0]uint32
		b [resultSize]byte
	}
)

// addrOf returns the linear-memory address of b's first byte.
func addrOf(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// Handle registers fn as the component's HTTP handler. Call it from an init
// function: in a reactor (-buildmode=c-shared) the host runs _initialize,
// which runs package init functions but not main.
func Handle(fn func(http.ResponseWriter, *http.Request)) { handler = fn }

// Open opens the store with the given label (it must be listed in the
// component's key_value_stores).
func Open(label string) (*Store, error) { return open(wasiKV{}, guestHeap, kvArea.b[:], label) }

//go:wasmexport canonical_abi_realloc
func canonicalABIRealloc(old, oldSize, align, newSize uint32) uint32 {
	return guestHeap.realloc(old, oldSize, align, newSize)
}

//go:wasmexport canonical_abi_free
func canonicalABIFree(ptr, size, align uint32) { guestHeap.free(ptr, size, align) }

//go:wasmexport handle-http-request
func handleHTTPRequest(method, uriPtr, uriLen, hdrPtr, hdrLen, prmPtr, prmLen, bodyTag, bodyPtr, bodyLen uint32) uint32 {
	raw := rawRequest{method, uriPtr, uriLen, hdrPtr, hdrLen, prmPtr, prmLen, bodyTag, bodyPtr, bodyLen}
	serve(guestHeap, handler, raw, respArea.b[:])
	return addrOf(respArea.b[:])
}

// The key-value import module (v1.5.1:wit/ephemeral/key-value.wit). A Go string parameter lowers to
// (ptr, len), exactly the ABI's string.

//go:wasmimport key-value open
func kvOpen(label string, ret unsafe.Pointer)

//go:wasmimport key-value get
func kvGet(store uint32, key string, ret unsafe.Pointer)

//go:wasmimport key-value set
func kvSet(store uint32, key string, valPtr unsafe.Pointer, valLen uint32, ret unsafe.Pointer)

//go:wasmimport key-value delete
func kvDelete(store uint32, key string, ret unsafe.Pointer)

//go:wasmimport key-value exists
func kvExists(store uint32, key string, ret unsafe.Pointer)

//go:wasmimport key-value get-keys
func kvGetKeys(store uint32, ret unsafe.Pointer)

//go:wasmimport key-value close
func kvClose(store uint32)

// wasiKV calls the real imports.
type wasiKV struct{}

func (wasiKV) open(label string, ret []byte) { kvOpen(label, unsafe.Pointer(unsafe.SliceData(ret))) }
func (wasiKV) get(store uint32, key string, ret []byte) {
	kvGet(store, key, unsafe.Pointer(unsafe.SliceData(ret)))
}
func (wasiKV) set(store uint32, key string, value []byte, ret []byte) {
	kvSet(store, key, unsafe.Pointer(unsafe.SliceData(value)), uint32(len(value)), unsafe.Pointer(unsafe.SliceData(ret)))
}
func (wasiKV) delete(store uint32, key string, ret []byte) {
	kvDelete(store, key, unsafe.Pointer(unsafe.SliceData(ret)))
}
func (wasiKV) exists(store uint32, key string, ret []byte) {
	kvExists(store, key, unsafe.Pointer(unsafe.SliceData(ret)))
}
func (wasiKV) getKeys(store uint32, ret []byte) {
	kvGetKeys(store, unsafe.Pointer(unsafe.SliceData(ret)))
}
func (wasiKV) close(store uint32) { kvClose(store) }
