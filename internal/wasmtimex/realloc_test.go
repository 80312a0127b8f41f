package wasmtimex_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// reallocWAT has a bump allocator as "realloc" that logs each call's four
// arguments, can be told to trap or to return a given pointer at its k-th
// call (fail_at), and grows memory (up to 64 pages) when it runs out.
//
// Memory map: call count at 0, log entries of 16 bytes (old ptr, old size,
// align, size) from 16 for the first 256 calls, blocks from 0x2000.
const reallocWAT = `(module
  (import "host" "pick" (func $pick (param i32 i32) (result i32)))
  (memory (export "memory") 1 64)
  (global $heap (mut i32) (i32.const 0x2000))
  (global $n (mut i32) (i32.const 0))
  (global $trap_at (mut i32) (i32.const -1))
  (global $bad_at (mut i32) (i32.const -1))
  (global $bad_ptr (mut i32) (i32.const 0))
  (global $use_host (mut i32) (i32.const 0))
  (func (export "fail_at") (param i32 i32 i32)
    (global.set $trap_at (local.get 0))
    (global.set $bad_at (local.get 1))
    (global.set $bad_ptr (local.get 2)))
  (func (export "use_host") (global.set $use_host (i32.const 1)))
  (func (export "size") (result i32) (i32.mul (memory.size) (i32.const 65536)))
  (func (export "realloc") (param $old i32) (param $oldsize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32) (local $k i32)
    (local.set $k (global.get $n))
    (if (i32.eq (local.get $k) (global.get $trap_at)) (then unreachable))
    (if (i32.lt_u (local.get $k) (i32.const 256))
      (then
        (local.set $p (i32.add (i32.const 16) (i32.shl (local.get $k) (i32.const 4))))
        (i32.store (local.get $p) (local.get $old))
        (i32.store offset=4 (local.get $p) (local.get $oldsize))
        (i32.store offset=8 (local.get $p) (local.get $align))
        (i32.store offset=12 (local.get $p) (local.get $size))))
    (global.set $n (i32.add (local.get $k) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $n))
    (if (i32.eq (local.get $k) (global.get $bad_at)) (then (return (global.get $bad_ptr))))
    (if (global.get $use_host) (then (return (call $pick (local.get $align) (local.get $size)))))
    (call $alloc (local.get $align) (local.get $size)))` + testwasm.Alloc + `
  (func (export "realloc2") (param i32 i32) (result i32) (i32.const 0x2000))
  (func (export "realloc_noresult") (param i32 i32 i32 i32))
  (func (export "realloc_i64") (param i64 i64 i64 i64) (result i64) (i64.const 0x2000))
  (func (export "realloc_f64") (param f64 f64 f64 f64) (result f64) (f64.const 0))
)`

const reallocBase = 0x2000 // where reallocWAT's first block goes
const reallocLogMax = 256  // reallocWAT logs this many calls

// pickState is the store data of the realloc guests: the host function
// "pick" hands out blocks from next and fails at its failAt-th call.
type pickState struct {
	next   uint32
	calls  int
	failAt int
}

var errPick = errors.New("test: pick refused")

// reallocPre compiles reallocWAT with a "pick" host function that
// allocates from the store's *pickState, calling back into the guest
// ("size") through the Caller to check its block fits.
func reallocPre(tb testing.TB, e *wasmtime.Engine) *wasmtimex.InstancePre {
	tb.Helper()
	return newPre(tb, e, reallocWAT, func(l *wasmtime.Linker) {
		k := wasmtime.KindI32
		err := wasmtimex.DefineFuncUnchecked(l, "host", "pick", []wasmtime.ValKind{k, k}, []wasmtime.ValKind{k},
			func(c *wasmtimex.Caller, v []wasmtimex.Val) error {
				ps, ok := c.Data().(*pickState)
				if !ok {
					return errors.New("pick: no store data")
				}
				ps.calls++
				if ps.calls == ps.failAt {
					return errPick
				}
				size, err := c.Func("size")
				if err != nil {
					return err
				}
				sv := make([]wasmtimex.Val, 1)
				if err := size.Call(c, sv); err != nil {
					return err
				}
				align, n := v[0].U32(), v[1].U32()
				p := (ps.next + align - 1) &^ (align - 1)
				if uint64(p)+uint64(n) > uint64(sv[0].U32()) {
					return errors.New("pick: out of memory")
				}
				ps.next = p + n
				v[0] = wasmtimex.ValI32(int32(p))
				return nil
			})
		if err != nil {
			tb.Fatal(err)
		}
	})
}

// reallocEnv is one instance of reallocWAT.
type reallocEnv struct {
	s       *wasmtimex.Store
	inst    wasmtimex.Instance
	realloc wasmtimex.Func
	mem     wasmtimex.Memory
}

func newReallocEnv(tb testing.TB, e *wasmtime.Engine, pre *wasmtimex.InstancePre, data *pickState) *reallocEnv {
	tb.Helper()
	s := newStore(tb, e, data)
	inst := instantiate(tb, pre, s)
	mem, err := inst.Memory(s, "memory")
	if err != nil {
		tb.Fatal(err)
	}
	return &reallocEnv{s: s, inst: inst, realloc: mustFunc(tb, s, inst, "realloc"), mem: mem}
}

func (r *reallocEnv) data(tb testing.TB) []byte {
	tb.Helper()
	d, err := r.mem.Data(r.s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// log returns the (old ptr, old size, align, size) arguments of the
// guest's realloc calls so far.
func (r *reallocEnv) log(tb testing.TB) [][4]uint32 {
	tb.Helper()
	d := r.data(tb)
	n := min(binary.LittleEndian.Uint32(d), reallocLogMax)
	out := make([][4]uint32, n)
	for k := range out {
		for j := range 4 {
			out[k][j] = binary.LittleEndian.Uint32(d[16+16*k+4*j:])
		}
	}
	return out
}

func (r *reallocEnv) calls(tb testing.TB) int {
	tb.Helper()
	return int(binary.LittleEndian.Uint32(r.data(tb)))
}

func (r *reallocEnv) failAt(tb testing.TB, trapAt, badAt int32, badPtr uint32) {
	tb.Helper()
	f := mustFunc(tb, r.s, r.inst, "fail_at")
	if err := f.Call(r.s, []wasmtimex.Val{i32(trapAt), i32(badAt), i32(int32(badPtr))}); err != nil {
		tb.Fatal(err)
	}
}

// wantLog is the realloc log that allocs should produce.
func wantLog(allocs []wasmtimex.Alloc) [][4]uint32 {
	out := make([][4]uint32, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, [4]uint32{0, 0, a.Align, a.Size})
	}
	return out
}

// checkBlocks checks that every block of allocs lies in view, that the
// Copy blocks hold their consecutive slices of data and that every other
// byte of view[reallocBase:fillEnd] still holds fill.
func checkBlocks(tb testing.TB, view []byte, allocs []wasmtimex.Alloc, data []byte, fillEnd int, fill byte) {
	tb.Helper()
	copied := make([]bool, len(view))
	off := 0
	for k, a := range allocs {
		if uint64(a.Ptr)+uint64(a.Size) > uint64(len(view)) {
			tb.Fatalf("block %d [%#x, +%d) outside memory of %d bytes", k, a.Ptr, a.Size, len(view))
		}
		if !a.Copy {
			continue
		}
		if got, want := view[a.Ptr:a.Ptr+a.Size], data[off:off+int(a.Size)]; !bytes.Equal(got, want) {
			tb.Errorf("block %d at %#x holds % x, want % x", k, a.Ptr, got, want)
		}
		for j := range a.Size {
			copied[a.Ptr+j] = true
		}
		off += int(a.Size)
	}
	for p := reallocBase; p < fillEnd && p < len(view); p++ {
		if !copied[p] && view[p] != fill {
			tb.Fatalf("byte %#x outside the Copy blocks changed to %#x", p, view[p])
		}
	}
}

// TestReallocManyOrderAndContents shows that ReallocMany calls realloc(0,
// 0, align, size) once per block in order, sets each Ptr to what realloc
// returned, copies consecutive slices of data into exactly the Copy blocks
// and returns a view of the whole memory, also after realloc grew it.
func TestReallocManyOrderAndContents(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := reallocPre(t, e)
	tests := []struct {
		name     string
		allocs   []wasmtimex.Alloc
		wantSize int // memory size after the calls
	}{
		{"mixed", []wasmtimex.Alloc{
			{Align: 1, Size: 5, Copy: true},
			{Align: 4, Size: 0, Copy: true},
			{Align: 8, Size: 16},
			{Align: 2, Size: 3, Copy: true},
			{Align: 4, Size: 7},
			{Align: 1, Size: 1, Copy: true},
			{Align: 8, Size: 24, Copy: true},
		}, 1 << 16},
		{"one block", []wasmtimex.Alloc{{Align: 1, Size: 11, Copy: true}}, 1 << 16},
		{"no copies", []wasmtimex.Alloc{{Align: 4, Size: 8}, {Align: 4, Size: 8}}, 1 << 16},
		{"grows memory", []wasmtimex.Alloc{
			{Align: 1, Size: 10, Copy: true},
			{Align: 8, Size: 3 << 16, Copy: true},
			{Align: 4, Size: 12, Copy: true},
		}, 4 << 16},
		{"grows without copy", []wasmtimex.Alloc{
			{Align: 16, Size: 2 << 16},
			{Align: 1, Size: 9, Copy: true},
		}, 3 << 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReallocEnv(t, e, pre, nil)
			const fill = 0xEE
			fillEnd := 1 << 16
			d := r.data(t)
			for p := reallocBase; p < fillEnd; p++ {
				d[p] = fill
			}
			var data []byte
			for _, a := range tt.allocs {
				if a.Copy {
					for range a.Size {
						data = append(data, byte(len(data)*7+1))
					}
				}
			}
			allocs := append([]wasmtimex.Alloc(nil), tt.allocs...)
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data)
			if err != nil || done != len(allocs) {
				t.Fatalf("ReallocMany: done %d of %d, %v", done, len(allocs), err)
			}
			if len(view) != tt.wantSize {
				t.Errorf("view is %d bytes, want %d", len(view), tt.wantSize)
			}
			if size := callI32(t, r.s, r.inst, "size"); int(size) != len(view) {
				t.Errorf("view is %d bytes, memory is %d", len(view), size)
			}
			if got, want := r.log(t), wantLog(tt.allocs); !slices.Equal(got, want) {
				t.Errorf("realloc calls %v, want %v", got, want)
			}
			next := uint32(reallocBase)
			for k, a := range allocs {
				want := (next + a.Align - 1) &^ (a.Align - 1)
				if a.Ptr != want {
					t.Errorf("block %d Ptr = %#x, want %#x (the allocator's answer)", k, a.Ptr, want)
				}
				next = want + a.Size
				if a.Align != tt.allocs[k].Align || a.Size != tt.allocs[k].Size || a.Copy != tt.allocs[k].Copy {
					t.Errorf("block %d changed from %+v to %+v", k, tt.allocs[k], a)
				}
			}
			checkBlocks(t, view, allocs, data, fillEnd, fill)
			if cur := r.data(t); len(cur) != len(view) || &cur[0] != &view[0] {
				t.Error("the returned view is not the memory's current contents")
			}
		})
	}
}

// TestReallocManyFailures shows where ReallocMany stops: bad input before
// any realloc call, a block outside memory at its index (ErrOutOfBounds,
// its Ptr set), a trap or host error at the call that failed.
func TestReallocManyFailures(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := reallocPre(t, e)
	three := func() []wasmtimex.Alloc {
		return []wasmtimex.Alloc{
			{Align: 4, Size: 8, Copy: true},
			{Align: 1, Size: 32, Copy: true},
			{Align: 8, Size: 4, Copy: true},
		}
	}
	data := bytes.Repeat([]byte{0x5A}, 44)
	const page = 1 << 16

	t.Run("data length mismatch", func(t *testing.T) {
		for _, d := range [][]byte{nil, data[:43], append(bytes.Clone(data), 0)} {
			r := newReallocEnv(t, e, pre, nil)
			_, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, three(), d)
			if err == nil || done != 0 {
				t.Errorf("%d bytes of data for 44: done %d, err %v; want an error", len(d), done, err)
			}
			if c := r.calls(t); c != 0 {
				t.Errorf("%d bytes of data: realloc called %d times before the error", len(d), c)
			}
		}
	})

	oob := []struct {
		name    string
		badAt   int32
		badPtr  uint32
		wantErr bool
	}{
		{"first block one byte past the end", 0, page - 8 + 1, true},
		{"middle block one byte past the end", 1, page - 32 + 1, true},
		{"last block far outside", 2, 10 * page, true},
		{"pointer plus size wraps 32 bits", 1, 0xFFFFFFF0, true},
		{"negative pointer", 2, 0x80000000, true},
		{"block ending exactly at the end", 1, page - 32, false},
	}
	for _, tt := range oob {
		t.Run(tt.name, func(t *testing.T) {
			r := newReallocEnv(t, e, pre, nil)
			r.failAt(t, -1, tt.badAt, tt.badPtr)
			allocs := three()
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("ReallocMany: %v", err)
				}
				checkBlocks(t, view, allocs, data, 0, 0)
				return
			}
			if !errors.Is(err, wasmtimex.ErrOutOfBounds) {
				t.Fatalf("err = %v, want ErrOutOfBounds", err)
			}
			if done != int(tt.badAt) {
				t.Errorf("done = %d, want %d", done, tt.badAt)
			}
			if allocs[done].Ptr != tt.badPtr {
				t.Errorf("bad block Ptr = %#x, want %#x", allocs[done].Ptr, tt.badPtr)
			}
			checkBlocks(t, view, allocs[:done], data, 0, 0) // earlier blocks made and filled
			for k := done + 1; k < len(allocs); k++ {
				if allocs[k].Ptr != 0 {
					t.Errorf("block %d after the failure has Ptr %#x", k, allocs[k].Ptr)
				}
			}
			if c := r.calls(t); c != done+1 {
				t.Errorf("realloc called %d times, want %d", c, done+1)
			}
			if len(view) != page {
				t.Errorf("view is %d bytes, want the memory's %d", len(view), page)
			}
		})
	}

	for k := range 3 {
		t.Run("trap at call "+string(rune('0'+k)), func(t *testing.T) {
			r := newReallocEnv(t, e, pre, nil)
			r.failAt(t, int32(k), -1, 0)
			allocs := three()
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data)
			var te *wasmtimex.TrapError
			if !errors.As(err, &te) || te.Code != wasmtimex.TrapUnreachableCodeReached {
				t.Fatalf("err = %v (%T), want an unreachable *TrapError", err, err)
			}
			if done != k {
				t.Errorf("done = %d, want %d", done, k)
			}
			if c := r.calls(t); c != k {
				t.Errorf("realloc completed %d calls, want %d", c, k)
			}
			checkBlocks(t, view, allocs[:done], data, 0, 0)
			// The store keeps working: the same call succeeds once realloc
			// stops trapping.
			r.failAt(t, -1, -1, 0)
			allocs = three()
			if _, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, data); err != nil || done != 3 {
				t.Fatalf("ReallocMany after the trap: done %d, %v", done, err)
			}
		})
	}

	t.Run("out of memory traps", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		allocs := []wasmtimex.Alloc{{Align: 1, Size: 4}, {Align: 1, Size: 64 << 16}}
		_, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, allocs, nil)
		var te *wasmtimex.TrapError
		if !errors.As(err, &te) || done != 1 {
			t.Fatalf("done %d, err %v; want a trap at block 1", done, err)
		}
	})

	t.Run("wrong signature", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		for _, name := range []string{"realloc2", "realloc_noresult", "size", "fail_at"} {
			f := mustFunc(t, r.s, r.inst, name)
			if _, _, err := wasmtimex.ReallocMany(r.s, f, r.mem, three(), data); err == nil {
				t.Errorf("%s accepted as realloc", name)
			}
		}
		if c := r.calls(t); c != 0 {
			t.Errorf("realloc called %d times", c)
		}
	})

	t.Run("wrong value types", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		var accepted []string
		for _, name := range []string{"realloc_i64", "realloc_f64"} {
			f := mustFunc(t, r.s, r.inst, name)
			if _, _, err := wasmtimex.ReallocMany(r.s, f, r.mem, three(), data); err == nil {
				accepted = append(accepted, name)
			}
		}
		if len(accepted) > 0 {
			t.Errorf("ReallocMany accepts %v (4 parameters and 1 result, not i32) as realloc", accepted)
		}
	})

	t.Run("zero blocks", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, nil, nil)
		if err != nil || done != 0 || len(view) != page {
			t.Errorf("ReallocMany(no blocks) = %d-byte view, done %d, %v", len(view), done, err)
		}
		if _, _, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, []wasmtimex.Alloc{}, []byte{1}); err == nil {
			t.Error("no blocks with data accepted")
		}
		if c := r.calls(t); c != 0 {
			t.Errorf("realloc called %d times", c)
		}
	})

	t.Run("closed or other store", func(t *testing.T) {
		r := newReallocEnv(t, e, pre, nil)
		other := newReallocEnv(t, e, pre, nil)
		if _, _, err := wasmtimex.ReallocMany(r.s, r.realloc, other.mem, three(), data); !errors.Is(err, wasmtimex.ErrWrongStore) {
			t.Errorf("memory of another store: %v, want ErrWrongStore", err)
		}
		if _, _, err := wasmtimex.ReallocMany(other.s, r.realloc, r.mem, three(), data); !errors.Is(err, wasmtimex.ErrWrongStore) {
			t.Errorf("realloc of another store: %v, want ErrWrongStore", err)
		}
		r.s.Close()
		if _, _, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, three(), data); !errors.Is(err, wasmtimex.ErrClosed) {
			t.Errorf("closed store: %v, want ErrClosed", err)
		}
	})
}

// TestReallocManyNested shows that a realloc calling a host function
// defined with DefineFuncUnchecked (which calls back into the guest) works
// inside ReallocMany, sees the store's data, and that the host function's
// error ends ReallocMany at that block.
func TestReallocManyNested(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := reallocPre(t, e)
	allocs := func() []wasmtimex.Alloc {
		return []wasmtimex.Alloc{{Align: 4, Size: 6, Copy: true}, {Align: 8, Size: 10}, {Align: 2, Size: 3, Copy: true}}
	}
	data := []byte("abcdefxyz")
	for _, failAt := range []int{0, 1, 2, 3} {
		t.Run("host fails at call "+string(rune('0'+failAt)), func(t *testing.T) {
			ps := &pickState{next: 0x4000, failAt: failAt}
			r := newReallocEnv(t, e, pre, ps)
			if err := mustFunc(t, r.s, r.inst, "use_host").Call(r.s, nil); err != nil {
				t.Fatal(err)
			}
			a := allocs()
			view, done, err := wasmtimex.ReallocMany(r.s, r.realloc, r.mem, a, data)
			wantDone := len(a)
			if failAt > 0 {
				wantDone = failAt - 1
				if !errors.Is(err, errPick) {
					t.Fatalf("err = %v, want errPick", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if done != wantDone {
				t.Errorf("done = %d, want %d", done, wantDone)
			}
			want := []uint32{0x4000, 0x4008, 0x4012}
			for k := range done {
				if a[k].Ptr != want[k] {
					t.Errorf("block %d Ptr = %#x, want %#x (from the host function)", k, a[k].Ptr, want[k])
				}
			}
			if failAt == 0 {
				checkBlocks(t, view, a, data, 0, 0)
			}
		})
	}
}

// FuzzReallocMany runs ReallocMany with arbitrary block lists against the
// bump allocator: it never panics; it either completes, or stops with a
// trap (memory exhausted) at the block that failed; every block made lies
// in memory, holds its data if Copy, and realloc saw exactly the blocks'
// (align, size) in order.
func FuzzReallocMany(f *testing.F) {
	f.Add([]byte{0, 5, 0, 1, 3, 0, 16, 0}, byte(1))
	f.Add([]byte{1, 0, 0, 0}, byte(0))
	f.Add([]byte{}, byte(7))
	f.Add([]byte{3, 0xff, 0xff, 1, 2, 0xff, 0xff, 0, 1, 0x10, 0, 1}, byte(9))
	e := newEngine(f, smallPool(), false)
	pre := reallocPre(f, e)
	f.Fuzz(func(t *testing.T, spec []byte, seed byte) {
		// Each 4 bytes of spec is a block: alignment 1<<(b0&3) (or 1<<(b0>>2&7)
		// when b0&0x80), size b1|b2<<8, Copy b3&1.
		var allocs []wasmtimex.Alloc
		for k := 0; k+4 <= len(spec) && len(allocs) < reallocLogMax; k += 4 {
			align := uint32(1) << (spec[k] & 3)
			if spec[k]&0x80 != 0 {
				align = 1 << (spec[k] >> 2 & 7)
			}
			allocs = append(allocs, wasmtimex.Alloc{
				Align: align,
				Size:  uint32(spec[k+1]) | uint32(spec[k+2])<<8,
				Copy:  spec[k+3]&1 != 0,
			})
		}
		var data []byte
		for _, a := range allocs {
			if a.Copy {
				for range a.Size {
					data = append(data, seed)
					seed = seed*31 + 7
				}
			}
		}
		s, err := wasmtimex.NewStore(e, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		inst, err := pre.Instantiate(s)
		if err != nil {
			t.Fatal(err)
		}
		mem, err := inst.Memory(s, "memory")
		if err != nil {
			t.Fatal(err)
		}
		r := &reallocEnv{s: s, inst: inst, realloc: mustFunc(t, s, inst, "realloc"), mem: mem}
		orig := append([]wasmtimex.Alloc(nil), allocs...)
		view, done, err := wasmtimex.ReallocMany(s, r.realloc, mem, allocs, data)
		if done < 0 || done > len(allocs) {
			t.Fatalf("done = %d of %d", done, len(allocs))
		}
		if err != nil {
			var te *wasmtimex.TrapError
			if !errors.As(err, &te) || done == len(allocs) {
				t.Fatalf("done %d of %d, err %v (%T); want a trap before the end", done, len(allocs), err, err)
			}
		}
		if cur := r.data(t); len(view) != len(cur) {
			t.Fatalf("view is %d bytes, memory is %d", len(view), len(cur))
		}
		// Blocks made: in bounds, aligned as the allocator aligns, holding
		// their data. checkBlocks takes data from the start, which is what
		// the first done blocks consume.
		checkBlocks(t, view, allocs[:done], data, 0, 0)
		for k := range done {
			if allocs[k].Ptr%allocs[k].Align != 0 {
				t.Errorf("block %d Ptr %#x not aligned to %d", k, allocs[k].Ptr, allocs[k].Align)
			}
		}
		called := done // realloc calls that completed, plus the one that trapped
		if err != nil {
			called++
		}
		if got, want := r.log(t), wantLog(orig[:called]); !slices.Equal(got, want) {
			t.Fatalf("realloc calls %v, want %v", got, want)
		}
	})
}
