package host

import (
	"bytes"
	"testing"

	"github.com/spindlekv/spindle/kv"
)

// openLoopWAT exports open-loop(name_ptr, name_len, count, ret) -> i32: it
// opens the store up to count times without closing, stops at the first
// error (left in the return area) and returns how many opens succeeded.
const openLoopWAT = `
  (func (export "open-loop") (param $p i32) (param $n i32) (param $count i32) (param $ret i32) (result i32)
    (local $ok i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ok) (local.get $count)))
        (call $open (local.get $p) (local.get $n) (local.get $ret))
        (br_if $done (i32.load8_u (local.get $ret)))
        (local.set $ok (i32.add (local.get $ok) (i32.const 1)))
        (br $next)))
    (local.get $ok))
`

// TestKeyValueHandleCap checks that a guest opening stores in a loop gets
// store-table-full once Options.MaxKeyValueHandles handles are open (the
// table, and the host memory behind it, stay bounded), and that closing a
// handle makes room for one more.
func TestKeyValueHandleCap(t *testing.T) {
	tests := []struct {
		name string
		max  int
		want int
	}{
		{"default", 0, DefaultMaxKeyValueHandles},
		{"configured", 3, 3},
		{"one", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEngine(t, &Options{MaxKeyValueHandles: tt.max})
			c := compile(t, e, guestWAT(openLoopWAT), Config{
				KeyValueStores: []string{"default"},
				Stores:         kv.Stores{"default": newMapStore()},
			})
			h := newHarness(t, c)
			p, n := h.str("default")
			r := newRet(t, h.i)
			const attempts = 1 << 20
			got := call(t, h.i, "open-loop", p, n, attempts, r)[0]
			if int(got) != tt.want {
				t.Fatalf("open-loop opened %d handles, want %d", got, tt.want)
			}
			if a := read(t, h.i, uint32(r), 16); a[0] != 1 || a[4] != kvErrStoreTableFull {
				t.Errorf("open past the cap = % x, want err(store-table-full)", a)
			}
			if held := h.i.st.handles.n; held != tt.want {
				t.Errorf("handle table holds %d entries, want %d", held, tt.want)
			}
			call(t, h.i, "close", 0)
			area, _ := h.do("open", p, n)
			if area[0] != 0 {
				t.Errorf("open after close = % x, want ok", area)
			}
			if area, _ := h.do("open", p, n); !bytes.Equal(first(area, 0), errArea(kvErrStoreTableFull)) {
				t.Errorf("second open after one close = % x, want err(store-table-full)", area)
			}
		})
	}
}

// TestMaxKeyValueHandlesNegative: a negative MaxKeyValueHandles lifts the
// cap (as every negative limit in Spindle means none): a guest opens more
// than the default number of handles.
func TestMaxKeyValueHandlesNegative(t *testing.T) {
	e := testEngine(t, &Options{MaxKeyValueHandles: -1})
	c := compile(t, e, guestWAT(openLoopWAT), Config{
		KeyValueStores: []string{"default"},
		Stores:         kv.Stores{"default": newMapStore()},
	})
	h := newHarness(t, c)
	p, n := h.str("default")
	r := newRet(t, h.i)
	const want = 4 * DefaultMaxKeyValueHandles
	if got := call(t, h.i, "open-loop", p, n, want, r)[0]; got != want {
		t.Fatalf("open-loop opened %d handles with no cap, want %d", got, want)
	}
}
