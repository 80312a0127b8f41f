package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
)

// allocManyExtra adds exports to the prelude that let a test look at the
// guest's memory from the guest's side.
const allocManyExtra = `
  (func (export "memsize") (result i32) (i32.mul (memory.size) (i32.const 65536)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
`

// allocLog returns the (align, size) of every canonical_abi_realloc call
// the prelude's allocator has logged.
func allocLog(t *testing.T, i *Instance) [][2]uint32 {
	t.Helper()
	n := binary.LittleEndian.Uint32(read(t, i, 512, 4))
	var out [][2]uint32
	for k := range min(n, 60) {
		b := read(t, i, 516+8*k, 8)
		out = append(out, [2]uint32{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])})
	}
	return out
}

// memoryOf returns a copy of the whole linear memory of i.
func memoryOf(t *testing.T, i *Instance) []byte {
	t.Helper()
	size := call(t, i, "memsize")[0]
	return read(t, i, 0, uint32(size))
}

// blockData returns the data allocMany needs for blocks: distinct bytes
// for every Copy block, consecutively.
func blockData(blocks []block) []byte {
	var data []byte
	for _, b := range blocks {
		if b.Copy {
			for range b.Size {
				data = append(data, byte(len(data)*13+5))
			}
		}
	}
	return data
}

// TestAllocManyMatchesAllocAndWrite shows that allocMany does what one
// Alloc per block plus one Write per Copy block would, in the same order:
// the guest's allocator sees the same (align, size) calls, the blocks get
// the same pointers, and the two memories end up byte-for-byte equal
// (Copy blocks hold their data, other blocks are untouched). Afterwards
// the instance keeps working: Call sees the copied bytes.
func TestAllocManyMatchesAllocAndWrite(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, guestWAT(allocManyExtra), Config{})
	tests := []struct {
		name   string
		blocks []block
	}{
		{"strings and return areas", []block{
			{Align: 1, Size: 6, Copy: true},
			{Align: 4, Size: 16},
			{Align: 1, Size: 0, Copy: true},
			{Align: 8, Size: 12, Copy: true},
			{Align: 2, Size: 3},
			{Align: 1, Size: 1, Copy: true},
		}},
		{"one block", []block{{Align: 1, Size: 5, Copy: true}}},
		{"no copies", []block{{Align: 4, Size: 8}, {Align: 8, Size: 8}}},
		{"grows memory", []block{
			{Align: 1, Size: 7, Copy: true},
			{Align: 4, Size: 150 << 10, Copy: true},
			{Align: 4, Size: 9, Copy: true},
			{Align: 16, Size: 64 << 10},
			{Align: 1, Size: 2, Copy: true},
		}},
	}
	const fill = 0xEE
	prefill := bytes.Repeat([]byte{fill}, 32<<10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := blockData(tt.blocks)

			many := instantiate(t, c)
			if err := many.Write(1024, prefill); err != nil {
				t.Fatal(err)
			}
			blocks := append([]block(nil), tt.blocks...)
			if err := many.allocMany(blocks, data); err != nil {
				t.Fatal(err)
			}

			one := instantiate(t, c)
			if err := one.Write(1024, prefill); err != nil {
				t.Fatal(err)
			}
			off := 0
			for k, b := range tt.blocks {
				p, err := one.Alloc(b.Align, b.Size)
				if err != nil {
					t.Fatal(err)
				}
				if blocks[k].Ptr != p {
					t.Errorf("block %d: allocMany Ptr %#x, Alloc %#x", k, blocks[k].Ptr, p)
				}
				if b.Copy {
					if err := one.Write(p, data[off:off+int(b.Size)]); err != nil {
						t.Fatal(err)
					}
					if got := read(t, many, blocks[k].Ptr, b.Size); !bytes.Equal(got, data[off:off+int(b.Size)]) {
						t.Errorf("block %d holds % x, want its data", k, got)
					}
					off += int(b.Size)
				} else if blocks[k].Ptr >= 1024 && blocks[k].Ptr+b.Size <= 1024+uint32(len(prefill)) {
					if got := read(t, many, blocks[k].Ptr, b.Size); !bytes.Equal(got, prefill[:b.Size]) {
						t.Errorf("block %d without Copy was written: % x", k, got)
					}
				}
			}

			var want [][2]uint32
			for _, b := range tt.blocks {
				want = append(want, [2]uint32{b.Align, b.Size})
			}
			if got := allocLog(t, many); !slices.Equal(got, want) {
				t.Errorf("realloc calls %v, want %v", got, want)
			}
			if m, o := memoryOf(t, many), memoryOf(t, one); !bytes.Equal(m, o) {
				t.Errorf("memories differ: allocMany %d bytes, Alloc+Write %d bytes", len(m), len(o))
			}

			// A Call after allocMany works and sees the copied bytes.
			for k, b := range blocks {
				if b.Copy && b.Size > 0 {
					if got := call(t, many, "load8", uint64(b.Ptr))[0]; byte(got) != read(t, many, b.Ptr, 1)[0] || byte(got) == fill {
						t.Errorf("load8(block %d) = %#x", k, got)
					}
				}
			}
			if err := many.allocMany([]block{{Align: 1, Size: 3, Copy: true}}, []byte("abc")); err != nil {
				t.Fatalf("second allocMany: %v", err)
			}
		})
	}
}

// badReallocWAT's allocator returns 100 at its first call and, later,
// the pointer stored at address 8 (set by the test with Write).
const badReallocWAT = `(module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $n))
    (if (result i32) (i32.eq (global.get $n) (i32.const 1))
      (then (i32.const 100))
      (else (i32.load (i32.const 8)))))
  (func (export "calls") (result i32) (i32.load (i32.const 0)))
)`

// TestAllocManyErrors shows allocMany's failures: a block outside memory
// or a trapping allocator is ErrTrap (naming the component), with the Ptr
// of the blocks made before it set; bad input is refused before the guest
// runs; missing exports are ErrMissingExport; a closed instance ErrClosed.
func TestAllocManyErrors(t *testing.T) {
	e := testEngine(t, nil)
	bad := compile(t, e, badReallocWAT, Config{ID: "bad"})
	for _, tt := range []struct {
		name string
		ptr  uint32 // what the second realloc call returns
		ok   bool
	}{
		{"one byte past the end", 65536 - 8 + 1, false},
		{"wraps 32 bits", 0xFFFFFFF8, false},
		{"far outside", 1 << 31, false},
		{"ends exactly at the end", 65536 - 8, true},
	} {
		t.Run("second block "+tt.name, func(t *testing.T) {
			i := instantiate(t, bad)
			if err := i.Write(8, binary.LittleEndian.AppendUint32(nil, tt.ptr)); err != nil {
				t.Fatal(err)
			}
			blocks := []block{{Align: 1, Size: 4, Copy: true}, {Align: 1, Size: 8, Copy: true}, {Align: 1, Size: 2}}
			err := i.allocMany(blocks, []byte("abcd12345678"))
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if got := read(t, i, tt.ptr, 8); string(got) != "12345678" {
					t.Errorf("last bytes of memory = %q", got)
				}
				return
			}
			if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), `"bad"`) {
				t.Fatalf("err = %v, want ErrTrap naming the component", err)
			}
			if blocks[0].Ptr != 100 || blocks[2].Ptr != 0 {
				t.Errorf("Ptrs = %#x, %#x, %#x; want 0x64 for the block made, 0 after the failure", blocks[0].Ptr, blocks[1].Ptr, blocks[2].Ptr)
			}
			if got := read(t, i, 100, 4); string(got) != "abcd" {
				t.Errorf("first block holds %q", got)
			}
			if n := call(t, i, "calls")[0]; n != 2 {
				t.Errorf("realloc called %d times, want 2 (no call after the bad block)", n)
			}
		})
	}

	good := compile(t, e, guestWAT(allocManyExtra), Config{ID: "good"})
	t.Run("data length mismatch", func(t *testing.T) {
		i := instantiate(t, good)
		blocks := []block{{Align: 1, Size: 4, Copy: true}, {Align: 1, Size: 4}}
		reportedAsTrap := false
		for _, data := range [][]byte{nil, []byte("abc"), []byte("abcde"), []byte("abcdefgh")} {
			err := i.allocMany(blocks, data)
			if err == nil {
				t.Errorf("%d bytes of data for 4 accepted", len(data))
				continue
			}
			if !strings.Contains(err.Error(), "bytes of data") {
				t.Errorf("error %q does not say what is wrong", err)
			}
			reportedAsTrap = reportedAsTrap || errors.Is(err, ErrTrap)
		}
		if got := allocLog(t, i); len(got) != 0 {
			t.Errorf("realloc called %v before the error", got)
		}
		if reportedAsTrap {
			t.Error("a data length mismatch (the caller's mistake; the guest never ran) is reported as ErrTrap")
		}
	})
	t.Run("zero blocks", func(t *testing.T) {
		i := instantiate(t, good)
		if err := i.allocMany(nil, nil); err != nil {
			t.Fatal(err)
		}
		if got := allocLog(t, i); len(got) != 0 {
			t.Errorf("realloc called %v", got)
		}
	})
	t.Run("allocator traps", func(t *testing.T) {
		c := compile(t, e, `(module (memory (export "memory") 1)
		  (global $n (mut i32) (i32.const 0))
		  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
		    (global.set $n (i32.add (global.get $n) (i32.const 1)))
		    (if (i32.eq (global.get $n) (i32.const 3)) (then unreachable))
		    (i32.mul (global.get $n) (i32.const 64)))
		  (func (export "ok") (result i32) (i32.const 7)))`, Config{ID: "trapper"})
		i := instantiate(t, c)
		blocks := []block{{Align: 1, Size: 1}, {Align: 1, Size: 1}, {Align: 1, Size: 1}, {Align: 1, Size: 1}}
		err := i.allocMany(blocks, nil)
		if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), `"trapper"`) || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("err = %v, want ErrTrap naming the component and the trap", err)
		}
		if blocks[0].Ptr != 64 || blocks[1].Ptr != 128 || blocks[2].Ptr != 0 || blocks[3].Ptr != 0 {
			t.Errorf("Ptrs = %v", blocks)
		}
		if r := call(t, i, "ok"); r[0] != 7 {
			t.Errorf("call after the trap = %d", r[0])
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		i, err := good.Instantiate(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer i.Close()
		cancel()
		err = i.allocMany([]block{{Align: 1, Size: 1}}, nil)
		if !errors.Is(err, ErrTrap) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want ErrTrap and context.Canceled", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		i := instantiate(t, good)
		if err := i.Close(); err != nil {
			t.Fatal(err)
		}
		if err := i.allocMany([]block{{Align: 1, Size: 1}}, nil); !errors.Is(err, ErrClosed) {
			t.Errorf("allocMany after Close = %v, want ErrClosed", err)
		}
	})

	missing := []struct {
		name string
		wat  string
	}{
		{"no realloc", `(module (memory (export "memory") 1))`},
		{"realloc with two parameters", `(module (memory (export "memory") 1)
		  (func (export "canonical_abi_realloc") (param i32 i32) (result i32) (i32.const 0)))`},
		{"realloc without result", `(module (memory (export "memory") 1)
		  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32)))`},
		{"realloc is a global", `(module (memory (export "memory") 1)
		  (global (export "canonical_abi_realloc") i32 (i32.const 0)))`},
		{"no memory", `(module
		  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0)))`},
	}
	for _, tt := range missing {
		t.Run(tt.name, func(t *testing.T) {
			i := instantiate(t, compile(t, e, tt.wat, Config{}))
			if err := i.allocMany([]block{{Align: 1, Size: 2, Copy: true}}, []byte("hi")); !errors.Is(err, ErrMissingExport) {
				t.Errorf("allocMany = %v, want ErrMissingExport", err)
			}
		})
	}
	t.Run("realloc with i64 values", func(t *testing.T) {
		i := instantiate(t, compile(t, e, `(module (memory (export "memory") 1)
		  (func (export "canonical_abi_realloc") (param i64 i64 i64 i64) (result i64) (i64.const 64)))`, Config{}))
		err := i.allocMany([]block{{Align: 1, Size: 2, Copy: true}}, []byte("hi"))
		if !errors.Is(err, ErrMissingExport) {
			t.Errorf("allocMany = %v, want ErrMissingExport", err)
		}
	})
}
