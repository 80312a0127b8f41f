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

func TestIntegersLittleEndian(t *testing.T) {
	mem := make([]byte, 8)
	if err := PutUint32(mem, 2, 0x04030201); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0, 0, 1, 2, 3, 4, 0, 0}; string(mem) != string(want) {
		t.Fatalf("memory = %v, want %v", mem, want)
	}
	if v, err := Uint32(mem, 2); err != nil || v != 0x04030201 {
		t.Fatalf("Uint32 = %#x, %v", v, err)
	}
	if v, err := Uint16(mem, 3); err != nil || v != 0x0302 {
		t.Fatalf("Uint16 = %#x, %v", v, err)
	}
	if err := PutUint8(mem, 7, 9); err != nil {
		t.Fatal(err)
	}
	if v, err := Uint8(mem, 7); err != nil || v != 9 {
		t.Fatalf("Uint8 = %d, %v", v, err)
	}
	for _, ptr := range []uint32{5, 8, math.MaxUint32} {
		if _, err := Uint32(mem, ptr); !errors.Is(err, ErrOutOfBounds) {
			t.Errorf("Uint32(%d) error = %v, want ErrOutOfBounds", ptr, err)
		}
		if err := PutUint32(mem, ptr, 1); !errors.Is(err, ErrOutOfBounds) {
			t.Errorf("PutUint32(%d) error = %v, want ErrOutOfBounds", ptr, err)
		}
	}
}

func TestPairsAndSize(t *testing.T) {
	mem := make([]byte, 24)
	_ = PutUint32(mem, 0, 16)
	_ = PutUint32(mem, 4, 3)
	_ = PutUint32(mem, 8, 19)
	_ = PutUint32(mem, 12, 0)
	got, err := Pairs(mem, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Pair{{16, 3}, {19, 0}}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Pairs = %v, want %v", got, want)
	}
	if _, err := Pairs(mem, 0, 4); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("Pairs past end error = %v", err)
	}
	if _, err := Pairs(mem, 0, math.MaxUint32); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("Pairs with overflowing count error = %v", err)
	}
	if _, err := Size(1<<30, 8); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("Size overflow error = %v", err)
	}
	if s, err := Size(3, 8); err != nil || s != 24 {
		t.Errorf("Size(3, 8) = %d, %v", s, err)
	}
	if err := Tag(2, 2); !errors.Is(err, ErrInvalidTag) {
		t.Errorf("Tag(2, 2) = %v", err)
	}
	if err := Tag(1, 2); err != nil {
		t.Errorf("Tag(1, 2) = %v", err)
	}
}

// FuzzDecode reads random (ptr, len) pairs out of random memory: every read
// either succeeds inside memory or returns an error, never panics.
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
		_, _ = Uint8(mem, ptr)
		_, _ = Uint16(mem, ptr)
		_, _ = Uint32(mem, ptr)
		if ps, err := Pairs(mem, ptr, count%4096); err == nil {
			for _, p := range ps {
				_, _ = String(mem, p.Ptr, p.Len)
			}
		}
		_ = Write(mem, n, mem[:min(len(mem), 8)])
	})
}
