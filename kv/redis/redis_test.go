package redis_test

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
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spindlekv/spindle/internal/redistest"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/redis"
)

// open starts a server and returns a Store on it plus a raw client for
// checking what is stored.
func open(t *testing.T, opts *redis.Options) (*redis.Store, *goredis.Client, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t, nil)
	s, err := redis.Open(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	raw := rawClient(t, srv)
	return s, raw, srv
}

func rawClient(t *testing.T, srv *redistest.Server) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(opt)
	t.Cleanup(func() { raw.Close() })
	return raw
}

func le(n int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

func TestSpinLayout(t *testing.T) {
	s, raw, _ := open(t, nil)
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Set(ctx, "greeting", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got, err := raw.Get(ctx, "greeting").Bytes()
	if err != nil || string(got) != "hello" {
		t.Fatalf("raw GET greeting = %q, %v; want the value under the bare key, as Spin stores it", got, err)
	}
	// A value written by Spin (or anyone) under a bare key is visible.
	if err := raw.Set(ctx, "from-spin", []byte{0, 1, 2}, 0).Err(); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(ctx, "from-spin")
	if err != nil || !bytes.Equal(got, []byte{0, 1, 2}) {
		t.Fatalf("Get(from-spin) = %v, %v", got, err)
	}
	// Counters are Spin's 8-byte little-endian int64s.
	if err := raw.Set(ctx, "counter", le(41), 0).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := s.Increment(ctx, "counter", 1)
	if err != nil || n != 42 {
		t.Fatalf("Increment = %d, %v; want 42", n, err)
	}
	got, _ = raw.Get(ctx, "counter").Bytes()
	if !bytes.Equal(got, le(42)) {
		t.Fatalf("stored counter = %x, want %x", got, le(42))
	}
}

func TestKeyPrefix(t *testing.T) {
	srv := redistest.Start(t, nil)
	ctx := t.Context()
	a, err := redis.Open(srv.URL, &redis.Options{KeyPrefix: "a:"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := redis.Open(srv.URL, &redis.Options{KeyPrefix: "b:"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	raw := rawClient(t, srv)

	for _, k := range []string{"x", "y"} {
		if err := a.Set(ctx, k, []byte("A"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set(ctx, "x", []byte("Bx")); err != nil {
		t.Fatal(err)
	}
	if err := raw.Set(ctx, "unprefixed", "u", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := raw.Get(ctx, "a:x").Result(); v != "Ax" {
		t.Errorf("raw a:x = %q, want Ax", v)
	}
	if v, err := b.Get(ctx, "x"); err != nil || string(v) != "Bx" {
		t.Errorf("b.Get(x) = %q, %v", v, err)
	}
	if _, err := b.Get(ctx, "y"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("b.Get(y) = %v, want ErrNotFound: prefixes must isolate", err)
	}
	keys, err := kv.AllKeys(ctx, a, "")
	if err != nil || !slices.Equal(keys, []string{"x", "y"}) {
		t.Errorf("a keys = %q, %v; want [x y] with the prefix stripped", keys, err)
	}
}

func TestListLiteralPrefix(t *testing.T) {
	s, _, _ := open(t, nil)
	ctx := t.Context()
	all := []string{"", "a", "a*", "a*b", "ab", "a?", "a[b]", "ab]", `a\b`, "a^", "b", "é", "ü*"}
	for _, k := range all {
		if err := s.Set(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		prefix string
		want   []string
	}{
		{name: "all", prefix: "", want: all},
		{name: "star", prefix: "a*", want: []string{"a*", "a*b"}},
		{name: "question", prefix: "a?", want: []string{"a?"}},
		{name: "bracket", prefix: "a[", want: []string{"a[b]"}},
		{name: "close bracket", prefix: "ab]", want: []string{"ab]"}},
		{name: "backslash", prefix: `a\`, want: []string{`a\b`}},
		{name: "caret", prefix: "a^", want: []string{"a^"}},
		{name: "unicode", prefix: "ü*", want: []string{"ü*"}},
		{name: "none", prefix: "zz", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.Clone(tt.want)
			slices.Sort(want)
			got, err := kv.AllKeys(t.Context(), s, tt.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("keys with prefix %q = %q, want %q", tt.prefix, got, want)
			}
		})
	}
}

func TestListPaging(t *testing.T) {
	srv := redistest.Start(t, nil)
	// A small ScanCount makes each page take many SCAN round trips.
	s, err := redis.Open(srv.URL, &redis.Options{ScanCount: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	var want []string
	for i := range 250 {
		k := fmt.Sprintf("k%03d", (i*37)%250)
		want = append(want, k)
		if err := s.Set(ctx, k, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, fmt.Sprintf("other%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	for _, limit := range []int{1, 7, 249, 250, 251} {
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			var got []string
			opts := kv.ListOptions{Prefix: "k", Limit: limit}
			pages := 0
			for {
				page, err := s.List(t.Context(), opts)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page.Keys) > limit {
					t.Fatalf("page has %d keys, limit %d", len(page.Keys), limit)
				}
				got = append(got, page.Keys...)
				if page.Cursor == "" {
					break
				}
				opts.Cursor = page.Cursor
			}
			if !slices.Equal(got, want) {
				t.Fatalf("listing = %d keys, want %d in order", len(got), len(want))
			}
			if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
				t.Errorf("pages = %d, want %d", pages, wantPages)
			}
		})
	}
	if _, err := s.List(ctx, kv.ListOptions{Cursor: "bogus"}); !errors.Is(err, kv.ErrInvalidCursor) {
		t.Errorf("List with a foreign cursor = %v, want kv.ErrInvalidCursor", err)
	}
}

func TestIncrement(t *testing.T) {
	s, raw, _ := open(t, nil)
	tests := []struct {
		name    string
		initial []byte // nil: key absent
		delta   int64
		want    int64
		wantErr error
	}{
		{name: "missing key counts as zero", delta: 5, want: 5},
		{name: "negative", initial: le(3), delta: -10, want: -7},
		{name: "carry across bytes", initial: le(0xff), delta: 1, want: 0x100},
		{name: "beyond float precision", initial: le(1 << 60), delta: 1<<60 + 1, want: 1<<61 + 1},
		{name: "to max", initial: le(math.MaxInt64 - 1), delta: 1, want: math.MaxInt64},
		{name: "to min", initial: le(math.MinInt64 + 1), delta: -1, want: math.MinInt64},
		{name: "negative to positive", initial: le(-1), delta: 2, want: 1},
		{name: "overflow wraps", initial: le(math.MaxInt64), delta: 1, want: math.MinInt64},
		{name: "underflow wraps", initial: le(math.MinInt64), delta: -1, want: math.MaxInt64},
		{name: "min plus min", initial: le(math.MinInt64), delta: math.MinInt64, want: 0},
		{name: "not a counter", initial: []byte("12"), delta: 1, wantErr: kv.ErrNotCounter},
		{name: "empty value", initial: []byte{}, delta: 1, wantErr: kv.ErrNotCounter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			key := "ctr/" + tt.name
			if tt.initial != nil {
				if err := raw.Set(ctx, key, tt.initial, 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Increment(ctx, key, tt.delta)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Increment = %d, %v; want %v", got, err, tt.wantErr)
				}
				stored, _ := raw.Get(ctx, key).Bytes()
				if !bytes.Equal(stored, tt.initial) {
					t.Errorf("value changed to %x after a failed increment", stored)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Increment = %d, %v; want %d", got, err, tt.want)
			}
			stored, _ := raw.Get(ctx, key).Bytes()
			if !bytes.Equal(stored, le(tt.want)) {
				t.Errorf("stored %x, want %x", stored, le(tt.want))
			}
		})
	}
}

func TestCompareAndSwap(t *testing.T) {
	s, _, _ := open(t, nil)
	tests := []struct {
		name    string
		initial []byte // nil: absent
		old     []byte
		swapped bool
	}{
		{name: "absent expected absent", initial: nil, old: nil, swapped: true},
		{name: "present expected absent", initial: []byte("x"), old: nil, swapped: false},
		{name: "absent expected value", initial: nil, old: []byte("x"), swapped: false},
		{name: "equal", initial: []byte("x"), old: []byte("x"), swapped: true},
		{name: "different", initial: []byte("x"), old: []byte("y"), swapped: false},
		{name: "empty equal", initial: []byte{}, old: []byte{}, swapped: true},
		{name: "empty expected but absent", initial: nil, old: []byte{}, swapped: false},
		{name: "absent expected but empty", initial: []byte{}, old: nil, swapped: false},
		{name: "binary", initial: []byte{0, 0xff, 0}, old: []byte{0, 0xff, 0}, swapped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			key := "cas/" + tt.name
			if tt.initial != nil {
				if err := s.Set(ctx, key, tt.initial); err != nil {
					t.Fatal(err)
				}
			}
			ok, err := s.CompareAndSwap(ctx, key, tt.old, []byte("new"))
			if err != nil || ok != tt.swapped {
				t.Fatalf("CompareAndSwap = %v, %v; want %v", ok, err, tt.swapped)
			}
			got, err := s.Get(ctx, key)
			want := tt.initial
			if tt.swapped {
				want = []byte("new")
			}
			if want == nil {
				if !errors.Is(err, kv.ErrNotFound) {
					t.Fatalf("after CAS Get = %q, %v; want not found", got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("after CAS Get = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	s, raw, _ := open(t, nil)
	ctx := t.Context()
	if err := s.SetWithTTL(ctx, "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if ttl := raw.PTTL(ctx, "k").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("PTTL after SetWithTTL(1h) = %v", ttl)
	}
	// An increment makes the key permanent, as in the other stores.
	if err := s.SetWithTTL(ctx, "c", le(1), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Increment(ctx, "c", 1); err != nil {
		t.Fatal(err)
	}
	if ttl := raw.PTTL(ctx, "c").Val(); ttl != -1 {
		t.Errorf("PTTL after Increment = %v, want -1 (no expiry)", ttl)
	}
	if err := s.Set(ctx, "k", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if ttl := raw.PTTL(ctx, "k").Val(); ttl != -1 {
		t.Errorf("PTTL after Set = %v, want -1 (no expiry)", ttl)
	}
	// A sub-millisecond TTL is rounded up, and the key does expire.
	if err := s.SetWithTTL(ctx, "short", []byte("v"), time.Microsecond); err != nil {
		t.Fatal(err)
	}
	for {
		ok, err := s.Exists(ctx, "short")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := s.SetWithTTL(ctx, "bad", []byte("v"), ttl); err == nil {
			t.Errorf("SetWithTTL(ttl=%v) succeeded, want an error", ttl)
		}
	}
	if n, _ := raw.Exists(ctx, "bad").Result(); n != 0 {
		t.Error("a rejected SetWithTTL stored the key")
	}
}

func TestBatch(t *testing.T) {
	s, _, _ := open(t, &redis.Options{KeyPrefix: "p/"})
	ctx := t.Context()
	vals := map[string][]byte{"a": []byte("1"), "b": {}, "c": {0, 1}}
	if err := s.SetMany(ctx, vals); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMany(ctx, []string{"a", "b", "c", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !bytes.Equal(got["a"], []byte("1")) || got["b"] == nil || len(got["b"]) != 0 || !bytes.Equal(got["c"], []byte{0, 1}) {
		t.Fatalf("GetMany = %q", got)
	}
	if err := s.DeleteMany(ctx, []string{"a", "c", "missing"}); err != nil {
		t.Fatal(err)
	}
	keys, err := kv.AllKeys(ctx, s, "")
	if err != nil || !slices.Equal(keys, []string{"b"}) {
		t.Fatalf("keys after DeleteMany = %q, %v", keys, err)
	}
	for _, call := range []func() error{
		func() error { return s.SetMany(ctx, nil) },
		func() error { _, err := s.GetMany(ctx, nil); return err },
		func() error { return s.DeleteMany(ctx, nil) },
	} {
		if err := call(); err != nil {
			t.Errorf("empty batch: %v", err)
		}
	}
	if err := s.SetMany(ctx, map[string][]byte{"ok": nil, "\xff": nil}); !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("SetMany with an invalid key = %v, want ErrInvalidKey", err)
	}
	if ok, _ := s.Exists(ctx, "ok"); ok {
		t.Error("SetMany with an invalid key stored the valid one")
	}
}

func TestErrors(t *testing.T) {
	s, raw, srv := open(t, nil)
	ctx := t.Context()
	if err := raw.HSet(ctx, "hash", "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "hash")
	if err == nil || errors.Is(err, redis.ErrUnavailable) || !strings.Contains(err.Error(), "WRONGTYPE") || !strings.Contains(err.Error(), `"hash"`) {
		t.Errorf("Get of a hash = %v; want a WRONGTYPE error naming the key, not ErrUnavailable", err)
	}
	if err := s.Set(ctx, "\xff", nil); !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("Set(invalid UTF-8) = %v, want ErrInvalidKey", err)
	}
	if err := s.Set(ctx, strings.Repeat("k", kv.MaxKeyLen+1), nil); !errors.Is(err, kv.ErrInvalidKey) {
		t.Errorf("Set(long key) = %v, want ErrInvalidKey", err)
	}
	if err := s.Set(ctx, "big", make([]byte, kv.MaxValueLen+1)); !errors.Is(err, kv.ErrValueTooLarge) {
		t.Errorf("Set(big value) = %v, want ErrValueTooLarge", err)
	}

	down, err := redis.Open(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := down.Close(); err != nil {
		t.Fatal(err)
	}
	if err := down.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := down.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if _, err := down.List(ctx, kv.ListOptions{}); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("List after Close = %v, want ErrClosed", err)
	}

	for _, u := range []string{"http://nope", "redis://u:secret@h:x/0", "redis://u:secret@h/notadb"} {
		_, err := redis.Open(u, nil)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open error %q repeats the password", err)
		}
	}
}

// TestServerRestart stops Redis mid-way: calls fail with ErrUnavailable,
// then succeed again once the server is back on the same port, and every
// acknowledged write is still there (appendonly with appendfsync always,
// and the server is killed, not shut down cleanly).
func TestServerRestart(t *testing.T) {
	srv := redistest.Start(t, &redistest.Options{AppendOnly: true})
	s, err := redis.Open(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	for i := range 20 {
		if err := s.Set(ctx, fmt.Sprint("k", i), []byte(fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Increment(ctx, "n", 7); err != nil {
		t.Fatal(err)
	}

	srv.Kill(t)
	_, err = s.Get(ctx, "k1")
	if !errors.Is(err, redis.ErrUnavailable) || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("Get with the server down = %v, want ErrUnavailable naming the key", err)
	}
	t.Logf("with the server down: %v", err)
	if err := s.Set(ctx, "lost", nil); !errors.Is(err, redis.ErrUnavailable) {
		t.Fatalf("Set with the server down = %v, want ErrUnavailable", err)
	}

	srv.Restart(t)
	for i := range 20 {
		got, err := s.Get(ctx, fmt.Sprint("k", i))
		if err != nil || string(got) != fmt.Sprint("v", i) {
			t.Fatalf("after restart Get(k%d) = %q, %v", i, got, err)
		}
	}
	// Scripts are reloaded after the server lost its script cache.
	if n, err := s.Increment(ctx, "n", 1); err != nil || n != 8 {
		t.Fatalf("after restart Increment = %d, %v; want 8", n, err)
	}
	if err := s.Set(ctx, "after", []byte("x")); err != nil {
		t.Fatalf("after restart Set: %v", err)
	}
}

// TestConcurrentCounters hammers one counter and one CAS-updated value
// from many goroutines; every increment and every successful swap must
// count exactly once.
func TestConcurrentCounters(t *testing.T) {
	s, _, _ := open(t, nil)
	ctx := t.Context()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := s.Increment(ctx, "ctr", 1); err != nil {
					errs <- err
					return
				}
				for {
					old, err := s.Get(ctx, "cas")
					if errors.Is(err, kv.ErrNotFound) {
						old = nil
					} else if err != nil {
						errs <- err
						return
					}
					next := le(0)
					if old != nil {
						next = le(int64(binary.LittleEndian.Uint64(old)) + 1)
					} else {
						next = le(1)
					}
					ok, err := s.CompareAndSwap(ctx, "cas", old, next)
					if err != nil {
						errs <- err
						return
					}
					if ok {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, err := s.Increment(ctx, "ctr", 0); err != nil || n != workers*each {
		t.Errorf("counter = %d, %v; want %d", n, err, workers*each)
	}
	got, err := s.Get(ctx, "cas")
	if err != nil || !bytes.Equal(got, le(workers*each)) {
		t.Errorf("CAS counter = %x, %v; want %x", got, err, le(workers*each))
	}
}

func rawClientB(b *testing.B, srv *redistest.Server) *goredis.Client {
	b.Helper()
	opt, err := goredis.ParseURL(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	raw := goredis.NewClient(opt)
	b.Cleanup(func() { raw.Close() })
	return raw
}

func redisListOpts(prefix string, limit int) kv.ListOptions {
	return kv.ListOptions{Prefix: prefix, Limit: limit}
}
