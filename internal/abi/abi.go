package abi

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Sentinel errors; the returned errors wrap them with the offending pointer
// and length.
var (
	// ErrOutOfBounds reports a pointer and length outside linear memory.
	ErrOutOfBounds = errors.New("abi: out of bounds")
	// ErrInvalidUTF8 reports a guest string that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("abi: invalid UTF-8")
)

// Bytes returns mem[ptr:ptr+n] without copying, or an error matching
// ErrOutOfBounds if the range is not inside mem.
func Bytes(mem []byte, ptr, n uint32) ([]byte, error) {
	end := uint64(ptr) + uint64(n)
	if end > uint64(len(mem)) {
		return nil, fmt.Errorf("%w: [%#x, %#x) with memory of %d bytes", ErrOutOfBounds, ptr, end, len(mem))
	}
	return mem[ptr:end:end], nil
}

// CopyBytes returns a copy of mem[ptr:ptr+n]; see Bytes.
func CopyBytes(mem []byte, ptr, n uint32) ([]byte, error) {
	b, err := Bytes(mem, ptr, n)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out, nil
}

// String returns the UTF-8 string at mem[ptr:ptr+n] (a copy), or an error
// matching ErrOutOfBounds or ErrInvalidUTF8.
func String(mem []byte, ptr, n uint32) (string, error) {
	b, err := Bytes(mem, ptr, n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%w: %d bytes at %#x", ErrInvalidUTF8, n, ptr)
	}
	return string(b), nil
}

// Write copies src to mem at ptr.
func Write(mem []byte, ptr uint32, src []byte) error {
	if uint64(len(src)) > uint64(^uint32(0)) {
		return fmt.Errorf("%w: %d bytes do not fit a 32-bit length", ErrOutOfBounds, len(src))
	}
	b, err := Bytes(mem, ptr, uint32(len(src)))
	if err != nil {
		return err
	}
	copy(b, src)
	return nil
}

// Size returns n*elem as a 32-bit byte count, or an error matching
// ErrOutOfBounds if it does not fit in 32 bits.
func Size(n, elem uint32) (uint32, error) {
	s := uint64(n) * uint64(elem)
	if s > uint64(^uint32(0)) {
		return 0, fmt.Errorf("%w: %d elements of %d bytes", ErrOutOfBounds, n, elem)
	}
	return uint32(s), nil
}

// Len32 returns n as a guest length, or an error matching ErrOutOfBounds if
// it does not fit in 32 bits.
func Len32(n int) (uint32, error) {
	if n < 0 || uint64(n) > uint64(^uint32(0)) {
		return 0, fmt.Errorf("%w: length %d does not fit 32 bits", ErrOutOfBounds, n)
	}
	return uint32(n), nil
}
