package abi_test

import (
	"errors"
	"fmt"

	"github.com/spindlekv/spindle/internal/abi"
)

// A host decodes what a guest left in its linear memory: here the return
// area of key-value get-keys, an expected<list<string>, error> (tag at +0,
// array pointer at +4, count at +8) whose array holds 8-byte (ptr, len)
// elements.
func Example() {
	mem := make([]byte, 64)
	copy(mem[48:], "ab")
	copy(mem[50:], "cde")
	// The array of two strings at 32.
	_ = abi.PutUint32(mem, 32, 48)
	_ = abi.PutUint32(mem, 36, 2)
	_ = abi.PutUint32(mem, 40, 50)
	_ = abi.PutUint32(mem, 44, 3)
	// The return area at 0: ok, array at 32, 2 elements.
	_ = abi.PutUint8(mem, 0, 0)
	_ = abi.PutUint32(mem, 4, 32)
	_ = abi.PutUint32(mem, 8, 2)

	tag, _ := abi.Uint8(mem, 0)
	if err := abi.Tag(tag, 2); err != nil {
		fmt.Println(err)
		return
	}
	arr, _ := abi.Uint32(mem, 4)
	n, _ := abi.Uint32(mem, 8)
	elems, err := abi.Pairs(mem, arr, n)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range elems {
		key, err := abi.String(mem, e.Ptr, e.Len)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q\n", key)
	}

	// A guest that claims more elements than fit in memory gets an error,
	// not a panic.
	_, err = abi.Pairs(mem, arr, 0xffff_ffff)
	fmt.Println(errors.Is(err, abi.ErrOutOfBounds))
	// Output:
	// "ab"
	// "cde"
	// true
}

// String rejects a range outside memory and bytes that are not UTF-8; the
// errors name the offending pointer and length.
func ExampleString() {
	mem := []byte("key\xff")
	for _, r := range []struct{ ptr, n uint32 }{{0, 3}, {0, 4}, {2, 0xffff_ffff}} {
		s, err := abi.String(mem, r.ptr, r.n)
		switch {
		case errors.Is(err, abi.ErrOutOfBounds), errors.Is(err, abi.ErrInvalidUTF8):
			fmt.Println("error:", err)
		case err != nil:
			fmt.Println("unexpected:", err)
		default:
			fmt.Printf("%q\n", s)
		}
	}
	// Output:
	// "key"
	// error: abi: invalid UTF-8: 4 bytes at 0x0
	// error: abi: out of bounds: [0x2, 0x100000001) with memory of 4 bytes
}

// Write fills memory the host allocated in the guest; Len32 turns a Go
// length into the 32-bit length the guest is given.
func ExampleWrite() {
	mem := make([]byte, 8)
	val := []byte("v1")
	n, err := abi.Len32(len(val))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := abi.Write(mem, 6, val); err != nil {
		fmt.Println(err)
		return
	}
	got, _ := abi.Bytes(mem, 6, n)
	fmt.Printf("%q\n", got)
	fmt.Println(abi.Write(mem, 7, val))
	// Output:
	// "v1"
	// abi: out of bounds: [0x7, 0x9) with memory of 8 bytes
}
