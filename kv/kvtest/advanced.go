package kvtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spindlekv/spindle/kv"
)

// Concurrency of the hammer and the atomicity cases.
const (
	goroutines = 8
	perWorker  = 100
)

// parallel runs fn(i) for i in [0, n) on n goroutines and waits for them.
// fn reports failures with t.Error (never t.Fatal, which must not be called
// from another goroutine).
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

func testHammer(t *testing.T, e *env) {
	s := e.open("default")
	ctx := t.Context()
	const keys = 16
	key := func(i int) string { return fmt.Sprintf("h/%02d", i%keys) }
	// Every value written under key k starts with k + "=", so a reader can
	// tell a torn or misplaced value from a concurrent overwrite.
	parallel(goroutines, func(g int) {
		for i := range perWorker {
			k := key(g*7 + i)
			switch i % 6 {
			case 0, 1:
				v := []byte(fmt.Sprintf("%s=%d/%d/%s", k, g, i, strings.Repeat("x", i*g)))
				if err := s.Set(ctx, k, v); err != nil {
					t.Errorf("Set(%q): %v", k, err)
					return
				}
			case 2:
				if err := s.Delete(ctx, k); err != nil {
					t.Errorf("Delete(%q): %v", k, err)
					return
				}
			case 3:
				if _, err := s.Exists(ctx, k); err != nil {
					t.Errorf("Exists(%q): %v", k, err)
					return
				}
			case 4:
				page, err := s.List(ctx, kv.ListOptions{Prefix: "h/", Limit: 5})
				if err != nil {
					t.Errorf("List: %v", err)
					return
				}
				if !slices.IsSorted(page.Keys) || len(page.Keys) > 5 {
					t.Errorf("List page %q is unsorted or longer than 5", page.Keys)
					return
				}
			default:
				v, err := s.Get(ctx, k)
				if errors.Is(err, kv.ErrNotFound) {
					continue
				}
				if err != nil {
					t.Errorf("Get(%q): %v", k, err)
					return
				}
				if !bytes.HasPrefix(v, []byte(k+"=")) {
					t.Errorf("Get(%q) = %s, a value not written under that key", k, short(v))
					return
				}
			}
		}
	})
	// The store is consistent afterwards: every listed key reads back.
	for _, k := range allKeys(t, s, "") {
		v := mustGet(t, s, k)
		if !bytes.HasPrefix(v, []byte(k+"=")) {
			t.Fatalf("after the hammer Get(%q) = %s", k, short(v))
		}
	}
}

func le(n int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

// skipWithout skips a case for a store that lacks capability T, after
// checking that the package helper for it reports errors.ErrUnsupported.
func skipWithout[T any](t *testing.T, s kv.Store, name string, helper func() error) T {
	t.Helper()
	c, ok := s.(T)
	if !ok {
		if err := helper(); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("%T does not implement %s, but the package helper gave %v, want errors.ErrUnsupported", s, name, err)
		}
		t.Skipf("%T does not implement %s; the helper correctly reports errors.ErrUnsupported", s, name)
	}
	return c
}

func skipWithoutIncrementer(t *testing.T, s kv.Store) kv.Incrementer {
	t.Helper()
	return skipWithout[kv.Incrementer](t, s, "kv.Incrementer", func() error {
		_, err := kv.Increment(t.Context(), s, "n", 1)
		return err
	})
}

func skipWithoutCAS(t *testing.T, s kv.Store) kv.CompareAndSwapper {
	t.Helper()
	return skipWithout[kv.CompareAndSwapper](t, s, "kv.CompareAndSwapper", func() error {
		_, err := kv.CompareAndSwap(t.Context(), s, "k", nil, []byte("v"))
		return err
	})
}

func skipWithoutExpirer(t *testing.T, s kv.Store) kv.Expirer {
	t.Helper()
	return skipWithout[kv.Expirer](t, s, "kv.Expirer", func() error {
		return kv.SetWithTTL(t.Context(), s, "k", []byte("v"), time.Hour)
	})
}

func testIncrement(t *testing.T, e *env) {
	s := e.open("default")
	inc := skipWithoutIncrementer(t, s)
	ctx := t.Context()
	mustInc := func(key string, delta, want int64) {
		t.Helper()
		got, err := inc.Increment(ctx, key, delta)
		if err != nil {
			t.Fatalf("Increment(%q, %d): %v", key, delta, err)
		}
		if got != want {
			t.Fatalf("Increment(%q, %d) = %d, want %d", key, delta, got, want)
		}
		wantValue(t, s, key, le(want)) // stored as Spin stores it
	}
	t.Run("missing key counts as zero", func(t *testing.T) {
		mustInc("a", 5, 5)
		mustInc("a", 1, 6)
		mustInc("a", -10, -4)
		mustInc("a", 0, -4)
		mustInc("zero", 0, 0)
	})
	t.Run("existing 8-byte value", func(t *testing.T) {
		mustSet(t, s, "b", le(41))
		mustInc("b", 1, 42)
		mustSet(t, s, "c", le(-1))
		mustInc("c", 1, 0)
		mustSet(t, s, "d", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
		mustInc("d", -1<<62, 1<<62-1)
	})
	t.Run("the empty key", func(t *testing.T) {
		mustInc("", 3, 3)
	})
	tests := []struct {
		name  string
		value []byte
	}{
		{"empty", []byte{}},
		{"7 bytes", []byte("1234567")},
		{"9 bytes", []byte("123456789")},
		{"decimal text", []byte("42")},
	}
	for _, tt := range tests {
		t.Run("not a counter: "+tt.name, func(t *testing.T) {
			mustSet(t, s, "bad", tt.value)
			_, err := inc.Increment(ctx, "bad", 1)
			e.wantErr(t, "Increment of "+short(tt.value), err, kv.ErrNotCounter, "bad")
			wantValue(t, s, "bad", tt.value)
		})
	}
	// The helper uses the capability.
	if n, err := kv.Increment(ctx, s, "h", 2); err != nil || n != 2 {
		t.Fatalf("kv.Increment = %d, %v; want 2", n, err)
	}
}

func testIncrementConcurrent(t *testing.T, e *env) {
	s := e.open("default")
	inc := skipWithoutIncrementer(t, s)
	ctx := t.Context()
	seen := make([][]int64, goroutines)
	parallel(goroutines, func(g int) {
		for range perWorker {
			n, err := inc.Increment(ctx, "counter", 1)
			if err != nil {
				t.Errorf("Increment: %v", err)
				return
			}
			seen[g] = append(seen[g], n)
		}
	})
	wantValue(t, s, "counter", le(goroutines*perWorker))
	// Every increment returned a distinct value: no two saw the same state.
	all := slices.Concat(seen...)
	slices.Sort(all)
	for i, n := range all {
		if n != int64(i+1) {
			t.Fatalf("increments returned %d at position %d; want each of 1..%d exactly once", n, i, goroutines*perWorker)
		}
	}
}

func testCompareAndSwap(t *testing.T, e *env) {
	s := e.open("default")
	cas := skipWithoutCAS(t, s)
	ctx := t.Context()
	tests := []struct {
		name    string
		initial []byte // nil: absent
		old     []byte
		value   []byte
		swapped bool
	}{
		{"absent, nil old", nil, nil, []byte("new"), true},
		{"absent, empty old", nil, []byte{}, []byte("new"), false},
		{"absent, some old", nil, []byte("x"), []byte("new"), false},
		{"present, nil old", []byte("cur"), nil, []byte("new"), false},
		{"present, matching old", []byte("cur"), []byte("cur"), []byte("new"), true},
		{"present, other old", []byte("cur"), []byte("cuR"), []byte("new"), false},
		{"present, prefix of old", []byte("cur"), []byte("cu"), []byte("new"), false},
		{"present, longer old", []byte("cur"), []byte("curr"), []byte("new"), false},
		{"empty, empty old", []byte{}, []byte{}, []byte("new"), true},
		{"empty, nil old", []byte{}, nil, []byte("new"), false},
		{"swap to empty", []byte("cur"), []byte("cur"), []byte{}, true},
		{"binary", []byte{0, 1, 0xff}, []byte{0, 1, 0xff}, []byte{0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const k = "cas"
			if err := s.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
			if tt.initial != nil {
				mustSet(t, s, k, tt.initial)
			}
			swapped, err := cas.CompareAndSwap(ctx, k, tt.old, tt.value)
			if err != nil {
				t.Fatalf("CompareAndSwap: %v", err)
			}
			if swapped != tt.swapped {
				t.Fatalf("CompareAndSwap swapped = %v, want %v", swapped, tt.swapped)
			}
			switch {
			case swapped:
				wantValue(t, s, k, tt.value)
			case tt.initial == nil:
				wantMissing(t, s, k)
			default:
				wantValue(t, s, k, tt.initial)
			}
		})
	}
	if ok, err := kv.CompareAndSwap(ctx, s, "via-helper", nil, []byte("v")); err != nil || !ok {
		t.Fatalf("kv.CompareAndSwap = %v, %v; want true", ok, err)
	}
}

func testCompareAndSwapConcurrent(t *testing.T, e *env) {
	s := e.open("default")
	cas := skipWithoutCAS(t, s)
	ctx := t.Context()
	// A counter kept with read + compare-and-swap retries: a lost update
	// shows up as a final count below goroutines*perWorker.
	parallel(goroutines, func(int) {
		for range perWorker {
			for attempt := 0; ; attempt++ {
				if attempt > 100_000 {
					t.Errorf("CompareAndSwap never succeeded")
					return
				}
				cur, err := s.Get(ctx, "n")
				var old []byte
				var n int64
				switch {
				case errors.Is(err, kv.ErrNotFound):
				case err != nil:
					t.Errorf("Get: %v", err)
					return
				default:
					old, n = cur, int64(binary.LittleEndian.Uint64(cur))
				}
				ok, err := cas.CompareAndSwap(ctx, "n", old, le(n+1))
				if err != nil {
					t.Errorf("CompareAndSwap: %v", err)
					return
				}
				if ok {
					break
				}
			}
		}
	})
	wantValue(t, s, "n", le(goroutines*perWorker))
}

// waitMissing polls until key reads as absent everywhere a reader can see
// it, failing after ExpiryDeadline.
func waitMissing(t *testing.T, s kv.Store, key string) {
	t.Helper()
	deadline := time.Now().Add(ExpiryDeadline)
	for {
		_, err := s.Get(t.Context(), key)
		if errors.Is(err, kv.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("key %q with a short TTL still present after %v", key, ExpiryDeadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantMissing(t, s, key)
	if slices.Contains(allKeys(t, s, ""), key) {
		t.Fatalf("expired key %q is still listed", key)
	}
	got, err := kv.GetMany(t.Context(), s, []string{key})
	if err != nil || len(got) != 0 {
		t.Fatalf("GetMany of expired key %q = %q, %v; want nothing", key, got, err)
	}
}

// clock runs fn as subtest name, inside a testing/synctest bubble when
// Harness.Synctest is set.
func (e *env) clock(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		if e.h.Synctest {
			synctest.Test(t, fn)
			return
		}
		fn(t)
	})
}

func testExpiry(t *testing.T, e *env) {
	s := e.open("default")
	x := skipWithoutExpirer(t, s)
	const short = 50 * time.Millisecond
	setTTL := func(t *testing.T, key, value string, ttl time.Duration) {
		t.Helper()
		if err := x.SetWithTTL(t.Context(), key, []byte(value), ttl); err != nil {
			t.Fatalf("SetWithTTL(%q, %v): %v", key, ttl, err)
		}
	}
	e.clock(t, "expires", func(t *testing.T) {
		setTTL(t, "gone", "v", short)
		setTTL(t, "kept", "v", time.Hour)
		mustSet(t, s, "plain", []byte("p"))
		waitMissing(t, s, "gone")
		wantValue(t, s, "kept", []byte("v"))
		wantValue(t, s, "plain", []byte("p"))
	})
	if e.h.Synctest {
		e.clock(t, "expires exactly at the TTL", func(t *testing.T) {
			setTTL(t, "exact", "v", time.Hour)
			time.Sleep(time.Hour - time.Nanosecond)
			wantValue(t, s, "exact", []byte("v"))
			time.Sleep(time.Nanosecond)
			wantMissing(t, s, "exact")
		})
	}
	e.clock(t, "readable before expiry", func(t *testing.T) {
		setTTL(t, "long", "value", time.Hour)
		wantValue(t, s, "long", []byte("value"))
		if !slices.Contains(allKeys(t, s, ""), "long") {
			t.Fatal("key with a TTL not listed")
		}
	})
	e.clock(t, "Set makes a key permanent", func(t *testing.T) {
		setTTL(t, "p", "ttl", short)
		mustSet(t, s, "p", []byte("forever"))
		setTTL(t, "sync", "v", short) // expires after p would have
		waitMissing(t, s, "sync")
		wantValue(t, s, "p", []byte("forever"))
	})
	e.clock(t, "SetWithTTL over a permanent key", func(t *testing.T) {
		mustSet(t, s, "q", []byte("forever"))
		setTTL(t, "q", "ttl", short)
		wantValueOrGone(t, s, "q", "ttl")
		waitMissing(t, s, "q")
	})
	e.clock(t, "new TTL replaces the old one", func(t *testing.T) {
		setTTL(t, "r", "1", short)
		setTTL(t, "r", "2", time.Hour)
		setTTL(t, "sync2", "v", short)
		waitMissing(t, s, "sync2")
		wantValue(t, s, "r", []byte("2"))
	})
	e.clock(t, "set again after expiry", func(t *testing.T) {
		setTTL(t, "s", "1", short)
		waitMissing(t, s, "s")
		mustSet(t, s, "s", []byte("2"))
		wantValue(t, s, "s", []byte("2"))
	})
	if _, ok := s.(kv.Incrementer); ok {
		e.clock(t, "increment of an expired counter starts at zero", func(t *testing.T) {
			if err := x.SetWithTTL(t.Context(), "n", le(100), short); err != nil {
				t.Fatal(err)
			}
			waitMissing(t, s, "n")
			if n, err := kv.Increment(t.Context(), s, "n", 1); err != nil || n != 1 {
				t.Fatalf("Increment = %d, %v; want 1", n, err)
			}
		})
	}
	if _, ok := s.(kv.CompareAndSwapper); ok {
		e.clock(t, "an expired key is absent for compare-and-swap", func(t *testing.T) {
			ctx := t.Context()
			setTTL(t, "c", "old", short)
			waitMissing(t, s, "c")
			if ok, err := kv.CompareAndSwap(ctx, s, "c", []byte("old"), []byte("x")); err != nil || ok {
				t.Fatalf("CompareAndSwap with the expired value = %v, %v; want false", ok, err)
			}
			if ok, err := kv.CompareAndSwap(ctx, s, "c", nil, []byte("new")); err != nil || !ok {
				t.Fatalf("CompareAndSwap with nil old = %v, %v; want true", ok, err)
			}
			wantValue(t, s, "c", []byte("new"))
		})
	}
	t.Run("bad TTL", func(t *testing.T) {
		for _, ttl := range []time.Duration{0, -time.Nanosecond, -time.Second, math.MinInt64} {
			err := x.SetWithTTL(t.Context(), "bad", []byte("v"), ttl)
			e.wantErr(t, fmt.Sprintf("SetWithTTL with ttl %v", ttl), err, kv.ErrInvalidTTL, "bad")
			wantMissing(t, s, "bad")
		}
		mustSet(t, s, "bad", []byte("old"))
		err := x.SetWithTTL(t.Context(), "bad", []byte("new"), 0)
		e.wantErr(t, "SetWithTTL with ttl 0 over a value", err, kv.ErrInvalidTTL, "bad")
		wantValue(t, s, "bad", []byte("old"))
	})
	e.clock(t, "longest TTL", func(t *testing.T) {
		// A TTL near the largest time.Duration (292 years) must not
		// overflow into the past when a store adds it to the time.
		for _, ttl := range []time.Duration{math.MaxInt64, math.MaxInt64 - time.Millisecond + 1, 100 * 365 * 24 * time.Hour} {
			setTTL(t, "forever", "v", ttl)
			wantValue(t, s, "forever", []byte("v"))
			if !slices.Contains(allKeys(t, s, ""), "forever") {
				t.Fatalf("key with TTL %v not listed", ttl)
			}
		}
	})
}

// wantValueOrGone accepts key holding want or, if the TTL already ran out
// on a slow machine, being absent; anything else fails.
func wantValueOrGone(t *testing.T, s kv.Store, key, want string) {
	t.Helper()
	v, err := s.Get(t.Context(), key)
	if errors.Is(err, kv.ErrNotFound) {
		return
	}
	if err != nil || string(v) != want {
		t.Fatalf("Get(%q) = %s, %v; want %q", key, short([]byte(v)), err, want)
	}
}

func testPersistence(t *testing.T, e *env) {
	if e.b.Reopen == nil {
		t.Skip("Backend.Reopen is nil: the backend does not persist")
	}
	ctx := t.Context()
	s := e.open("default")
	o := e.open("other")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	mustSet(t, s, "k", []byte("v"))
	mustSet(t, s, "", all)
	mustSet(t, s, "empty", nil)
	mustSet(t, s, "deleted", []byte("x"))
	if err := s.Delete(ctx, "deleted"); err != nil {
		t.Fatal(err)
	}
	mustSet(t, o, "k", []byte("other"))
	if _, ok := s.(kv.Incrementer); ok {
		if _, err := kv.Increment(ctx, s, "n", 7); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := s.(kv.Expirer); ok {
		if err := kv.SetWithTTL(ctx, s, "ttl", []byte("t"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := kv.SetWithTTL(ctx, s, "short", []byte("t"), 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	e.reopen()
	s = e.open("default")
	o = e.open("other")
	wantValue(t, s, "k", []byte("v"))
	wantValue(t, s, "", all)
	wantValue(t, s, "empty", nil)
	wantMissing(t, s, "deleted")
	wantValue(t, o, "k", []byte("other"))
	want := []string{"", "empty", "k"}
	if _, ok := s.(kv.Incrementer); ok {
		wantValue(t, s, "n", le(7))
		want = append(want, "n")
	}
	if _, ok := s.(kv.Expirer); ok {
		wantValue(t, s, "ttl", []byte("t"))
		want = append(want, "ttl")
		waitMissing(t, s, "short") // the TTL persisted too
	}
	if !e.h.LabelsShareKeys {
		slices.Sort(want)
		wantKeys(t, s, "", want)
	}
}

func testLabelIsolation(t *testing.T, e *env) {
	if e.h.LabelsShareKeys {
		t.Skip("Harness.LabelsShareKeys: all labels of the backend share one keyspace")
	}
	ctx := t.Context()
	a := e.open("default")
	b := e.open("other")
	c := e.open("default-suffix") // a label that extends another
	mustSet(t, a, "k", []byte("a"))
	mustSet(t, b, "k", []byte("b"))
	mustSet(t, a, "only-a", []byte("a"))
	wantValue(t, a, "k", []byte("a"))
	wantValue(t, b, "k", []byte("b"))
	wantMissing(t, c, "k")
	wantMissing(t, b, "only-a")
	wantKeys(t, a, "", []string{"k", "only-a"})
	wantKeys(t, b, "", []string{"k"})
	wantKeys(t, c, "", nil)
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	wantValue(t, a, "k", []byte("a"))
	if err := kv.DeleteMany(ctx, b, []string{"only-a"}); err != nil {
		t.Fatal(err)
	}
	wantValue(t, a, "only-a", []byte("a"))
	if _, ok := a.(kv.Incrementer); ok {
		if _, err := kv.Increment(ctx, a, "n", 1); err != nil {
			t.Fatal(err)
		}
		if n, err := kv.Increment(ctx, b, "n", 5); err != nil || n != 5 {
			t.Fatalf("Increment under the other label = %d, %v; want 5", n, err)
		}
	}
	// A second store for the same label sees the same keys.
	a2 := e.open("default")
	wantValue(t, a2, "k", []byte("a"))
}
