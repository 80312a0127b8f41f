package abi

import (
	"errors"
	"math"
	"testing"
)

func TestBytesBounds(t *testing.T) {
	mem := make([]byte, 64)
	tests := []struct {
		name    string
		ptr, n  uint32
		wantErr bool
	}{
		{name: "whole memory", ptr: 0, n: 64},
		{name: "empty at end", ptr: 64, n: 0},
		{name: "last byte", ptr: 63, n: 1},
		{name: "one past end", ptr: 63, n: 2, wantErr: true},
		{name: "empty past end", ptr: 65, n: 0, wantErr: true},
		{name: "ptr plus len wraps 32 bits", ptr: math.MaxUint32, n: 2, wantErr: true},
		{name: "huge len", ptr: 0, n: math.MaxUint32, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Bytes(mem, tt.ptr, tt.n)
			if tt.wantErr {
				if !errors.Is(err, ErrOutOfBounds) {
					t.Fatalf("Bytes(%d, %d) error = %v, want ErrOutOfBounds", tt.ptr, tt.n, err)
				}
				return
			}
			if err != nil || uint32(len(b)) != tt.n {
				t.Fatalf("Bytes(%d, %d) = %d bytes, %v", tt.ptr, tt.n, len(b), err)
			}
			if cap(b) != len(b) {
				t.Errorf("cap %d > len %d: appending would overwrite guest memory", cap(b), len(b))
			}
		})
	}
}

func TestString(t *testing.T) {
	mem := []byte("héllo\xff")
	tests := []struct {
		name   string
		ptr, n uint32
		want   string
		err    error
	}{
		{name: "utf8", ptr: 0, n: 6, want: "héllo"},
		{name: "empty", ptr: 3, n: 0, want: ""},
		{name: "invalid byte", ptr: 0, n: 7, err: ErrInvalidUTF8},
		{name: "split rune", ptr: 0, n: 2, err: ErrInvalidUTF8},
		{name: "out of bounds", ptr: 5, n: 3, err: ErrOutOfBounds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := String(mem, tt.ptr, tt.n)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("String error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("String = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSizeAndLen32(t *testing.T) {
	if _, err := Size(1<<30, 8); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("Size overflow error = %v", err)
	}
	if s, err := Size(3, 8); err != nil || s != 24 {
		t.Errorf("Size(3, 8) = %d, %v", s, err)
	}
	if n, err := Len32(7); err != nil || n != 7 {
		t.Errorf("Len32(7) = %d, %v", n, err)
	}
	for _, n := range []int{-1, math.MaxUint32 + 1} {
		if _, err := Len32(n); !errors.Is(err, ErrOutOfBounds) {
			t.Errorf("Len32(%d) error = %v, want ErrOutOfBounds", n, err)
		}
	}
}

func TestWriteAndCopy(t *testing.T) {
	mem := make([]byte, 8)
	if err := Write(mem, 6, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := Write(mem, 7, []byte("v1")); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("Write past the end error = %v", err)
	}
	c, err := CopyBytes(mem, 6, 2)
	if err != nil || string(c) != "v1" {
		t.Fatalf("CopyBytes = %q, %v", c, err)
	}
	c[0] = 'x'
	if mem[6] != 'v' {
		t.Error("CopyBytes returned memory, not a copy")
	}
	if _, err := CopyBytes(mem, 7, 2); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("CopyBytes past the end error = %v", err)
	}
}

// FuzzDecode reads and writes random (ptr, len) ranges of random memory:
// every access either succeeds inside memory or returns an error, never
// panics.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("hello world, this is memory"), uint32(0), uint32(5), uint32(2))
	f.Add([]byte{0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8}, uint32(math.MaxUint32), uint32(2), uint32(math.MaxUint32))
	f.Fuzz(func(t *testing.T, mem []byte, ptr, n, count uint32) {
		if b, err := Bytes(mem, ptr, n); err == nil && uint32(len(b)) != n {
			t.Fatalf("Bytes returned %d bytes, want %d", len(b), n)
		}
		if s, err := String(mem, ptr, n); err == nil && uint32(len(s)) != n {
			t.Fatalf("String returned %d bytes, want %d", len(s), n)
		}
		if s, err := Size(count, 8); err == nil {
			_, _ = CopyBytes(mem, ptr, s)
		}
		_ = Write(mem, n, mem[:min(len(mem), 8)])
	})
}
