package spinguest

import (
	"errors"
	"fmt"
	"unsafe"
)

// errBadPointer is returned when the host hands the guest a pointer that
// was not produced by canonical_abi_realloc or is shorter than claimed.
var errBadPointer = errors.New("spinguest: pointer not allocated by canonical_abi_realloc")

// heap keeps every block handed to the host alive and findable by address.
//
// Go's garbage collector does not move memory, but it frees memory that no
// Go value references. A block returned by canonical_abi_realloc is only
// referenced by its address inside the host, so the heap pins it in a map
// until the host frees it (canonical_abi_free) or the guest takes it over
// (take), after which ordinary Go references keep it alive.
//
// Finding blocks by address also means the guest never converts an integer
// from the host into a pointer: a bogus address is an error, not a wild read.
type heap struct {
	// addr reports the linear-memory address of b[0]. In a wasip1 guest it
	// is the real address; tests use fake, distinct addresses.
	addr   func(b []byte) uint32
	blocks map[uint32][]byte
}

func newHeap(addr func(b []byte) uint32) *heap {
	return &heap{addr: addr, blocks: make(map[uint32][]byte)}
}

// alloc returns a pinned, zeroed block of size bytes aligned to align
// (a power of two, at most 8). For size 0 it returns align, a non-null
// dummy that is never dereferenced, as the C and Rust bindings do.
func (h *heap) alloc(align, size uint32) (uint32, []byte) {
	if align == 0 || align&(align-1) != 0 || align > 8 {
		panic(fmt.Sprintf("spinguest: canonical_abi_realloc: unsupported alignment %d", align))
	}
	if size == 0 {
		return align, nil
	}
	// A []uint64 backing array is 8-byte aligned, which satisfies every
	// alignment this ABI uses (1, 4 and 8).
	words := make([]uint64, (uint64(size)+7)/8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), size)
	p := h.addr(b)
	h.blocks[p] = b
	return p, b
}

// realloc implements canonical_abi_realloc(old, oldSize, align, newSize).
func (h *heap) realloc(old, oldSize, align, newSize uint32) uint32 {
	p, b := h.alloc(align, newSize)
	if old != 0 && oldSize != 0 {
		if ob, ok := h.blocks[old]; ok {
			copy(b, ob[:min(uint32(len(ob)), oldSize)])
			delete(h.blocks, old)
		}
	}
	return p
}

// free implements canonical_abi_free: it unpins the block at ptr. Freeing
// a zero-size block, an unknown address or the same block twice does
// nothing.
func (h *heap) free(ptr, size, _ uint32) {
	if size == 0 {
		return
	}
	delete(h.blocks, ptr)
}

// take unpins the block at ptr and returns its first n bytes; from then on
// the block belongs to the caller like any Go slice. n == 0 needs no block
// (the host may pass a dummy pointer).
func (h *heap) take(ptr, n uint32) ([]byte, error) {
	if n == 0 {
		if b, ok := h.blocks[ptr]; ok && len(b) == 0 {
			delete(h.blocks, ptr)
		}
		return []byte{}, nil
	}
	b, ok := h.blocks[ptr]
	if !ok || uint32(len(b)) < n {
		return nil, fmt.Errorf("%w: %d bytes at %#x", errBadPointer, n, ptr)
	}
	delete(h.blocks, ptr)
	return b[:n:n], nil
}

// pinned reports how many blocks are pinned (for tests and leak checks).
func (h *heap) pinned() int { return len(h.blocks) }
