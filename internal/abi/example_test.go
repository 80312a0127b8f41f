package abi_test

import (
	"errors"
	"fmt"

	"github.com/spindlekv/spindle/internal/abi"
)

// A host reads a key argument a guest passed as (ptr, len) and answers
// with a value copied into memory its realloc returned (here, at 32).
func Example() {
	mem := make([]byte, 64)
	copy(mem[8:], "greeting")
	key, err := abi.String(mem, 8, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	val := []byte("hello")
	n, err := abi.Len32(len(val))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := abi.Write(mem, 32, val); err != nil {
		fmt.Println(err)
		return
	}
	got, _ := abi.Bytes(mem, 32, n)
	fmt.Printf("%s = %s\n", key, got)

	// A guest that claims more than fits in memory gets an error, not a
	// panic.
	_, err = abi.Bytes(mem, 32, 0xffff_ffff)
	fmt.Println(errors.Is(err, abi.ErrOutOfBounds))
	// Output:
	// greeting = hello
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
