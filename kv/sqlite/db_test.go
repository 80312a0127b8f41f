package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/sqlite"
)

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("not a database, and long enough to be noticed as such......"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		opts *sqlite.Options
	}{
		{"empty path", "", nil},
		{"directory", dir, nil},
		{"parent is a file", filepath.Join(file, "kv.db"), nil},
		{"not a database", file, nil},
		{"negative busy timeout", filepath.Join(dir, "a.db"), &sqlite.Options{BusyTimeout: -1}},
		{"negative readers", filepath.Join(dir, "b.db"), &sqlite.Options{MaxReaders: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sqlite.Open(tt.path, tt.opts)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "kv/sqlite: ") {
				t.Fatalf("error %q lacks the package prefix", msg)
			}
		})
	}
}

// TestPathCharacters opens paths with characters that mean something in
// URIs and DSNs.
func TestPathCharacters(t *testing.T) {
	for _, name := range []string{"a?b.db", "c#d.db", "e%20f.db", "g h.db", "i&_txlock=deferred.db", "日本.db"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			db := openDB(t, path, nil)
			s, _ := db.Store("default")
			if err := s.Set(t.Context(), "k", []byte("v")); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("database not at %q: %v", path, err)
			}
		})
	}
}

// TestLabels checks what the Resolver cases of kvtest do not: which labels
// DB.Store accepts, that Resolve gives one store per label, and that views
// from DB.Store belong to the caller, who can close them, while DB.Close
// closes them too.
func TestLabels(t *testing.T) {
	ctx := t.Context()
	db := openDB(t, sqlite.Memory, nil)
	for _, label := range []string{"", "bad\xff"} {
		if _, err := db.Store(label); !errors.Is(err, kv.ErrNoSuchStore) {
			t.Errorf("Store(%q) = %v, want kv.ErrNoSuchStore", label, err)
		}
	}
	a, err := db.Resolve(ctx, "any-label at all")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := db.Resolve(ctx, "any-label at all")
	if a != b {
		t.Fatal("Resolve gave two stores for one label")
	}
	if got := a.(*sqlite.Store).Label(); got != "any-label at all" {
		t.Fatalf("Label() = %q", got)
	}
	closed, _ := db.Store("any-label at all")
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := closed.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("view after its Close: %v, want kv.ErrClosed", err)
	}
	if err := a.Set(ctx, "k", nil); err != nil {
		t.Fatalf("closing a view closed the resolved store: %v", err)
	}
	view, _ := db.Store("v")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := view.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("view after DB.Close: %v, want kv.ErrClosed", err)
	}
	if _, err := db.Store("x"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Store after Close: %v", err)
	}
}

// TestTwoHandlesOneFile writes one file through two DBs at once, as two
// processes sharing a state directory would: the busy timeout absorbs the
// lock contention and no write fails with "database is locked".
func TestTwoHandlesOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	dbs := []*sqlite.DB{openDB(t, path, nil), openDB(t, path, nil)}
	const writers, writes = 4, 50
	var wg sync.WaitGroup
	for i := range writers * len(dbs) {
		s, _ := dbs[i%len(dbs)].Store("default")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range writes {
				k := fmt.Sprintf("w%d/%03d", i, j)
				if err := s.Set(t.Context(), k, []byte(k)); err != nil {
					t.Errorf("Set(%q): %v", k, err)
					return
				}
				if _, err := s.Increment(t.Context(), "shared-counter", 1); err != nil {
					t.Errorf("Increment: %v", err)
					return
				}
				if _, err := s.Get(t.Context(), k); err != nil {
					t.Errorf("Get(%q): %v", k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	s, _ := dbs[0].Store("default")
	n, err := s.Increment(t.Context(), "shared-counter", 0)
	if err != nil || n != writers*2*writes {
		t.Fatalf("counter = %d, %v; want %d", n, err, writers*2*writes)
	}
	keys, err := kv.AllKeys(t.Context(), s, "w")
	if err != nil || len(keys) != writers*2*writes {
		t.Fatalf("%d keys, %v; want %d", len(keys), err, writers*2*writes)
	}
}

// TestSweep checks that expired keys leave the file, not only the
// listings, once writes continue.
func TestSweep(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kv.db")
	db := openDB(t, path, nil)
	s, _ := db.Store("default")
	for i := range 20 {
		if err := s.SetWithTTL(ctx, fmt.Sprint("ttl", i), []byte("x"), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetWithTTL(ctx, "long", []byte("x"), time.Hour); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	count := func(q string) int {
		var n int
		if err := raw.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(3 * sqlite.SweepInterval * 5)
	for i := 0; ; i++ {
		// Spin's view: rows in its table.
		if count(`SELECT count(*) FROM spin_key_value WHERE key LIKE 'ttl%'`) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("expired keys were never swept from the file")
		}
		if err := s.Set(ctx, "tick", []byte{byte(i)}); err != nil { // writes drive sweeps
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(`SELECT count(*) FROM spindle_key_value_expiry`); n != 1 {
		t.Fatalf("%d expiry rows left, want 1 (the key with a long TTL)", n)
	}
	if v, err := s.Get(ctx, "long"); err != nil || string(v) != "x" {
		t.Fatalf("key with a long TTL: %q, %v", v, err)
	}
}

// FuzzListPrefix checks prefix listing with paging against a brute-force
// filter of every key, for arbitrary prefixes and page sizes.
func FuzzListPrefix(f *testing.F) {
	keys := []string{
		"", "a", "a%", "a%b", "a_", "a_b", "ab", "a\\", "a\\b", "a*", "a[b]", "a'b",
		"é", "éa", "\U0010FFFF", "\U0010FFFFa", "z", "a\x00", "a\x00b", "b",
	}
	for _, p := range []string{"", "a", "a%", "a_", "a\\", "é", "\xc3", "\xf4\x8f\xbf\xbf", "a\x00", "zz", "\xff", "a\xff", "a\xff\xff"} {
		f.Add(p, 2)
	}
	db, err := sqlite.Open(sqlite.Memory, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	s, _ := db.Store("default")
	for _, k := range keys {
		if err := s.Set(f.Context(), k, nil); err != nil {
			f.Fatal(err)
		}
	}
	other, _ := db.Store("other")
	other.Set(f.Context(), "a-other", nil)
	f.Fuzz(func(t *testing.T, prefix string, limit int) {
		limit = limit%7 + 1
		if limit <= 0 {
			limit += 7
		}
		var want []string
		for _, k := range keys {
			if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		var got []string
		opts := kv.ListOptions{Prefix: prefix, Limit: limit}
		for pages := 0; ; pages++ {
			if pages > len(keys)+1 {
				t.Fatal("listing does not end")
			}
			page, err := s.List(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page.Keys...)
			if page.Cursor == "" {
				break
			}
			opts.Cursor = page.Cursor
		}
		if !slices.Equal(got, want) {
			t.Fatalf("prefix %q, limit %d: %q, want %q", prefix, limit, got, want)
		}
	})
}

// TestResolveConcurrent checks that concurrent Resolves of a label agree on
// one store while other goroutines use it.
func TestResolveConcurrent(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "kv.db"), nil)
	const n = 8
	got := make([]kv.Store, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			s, err := db.Resolve(t.Context(), fmt.Sprint("label", i%2))
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = s
			if err := s.Set(t.Context(), fmt.Sprint("k", i), nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := 2; i < n; i++ {
		if got[i] != got[i%2] {
			t.Fatalf("Resolve %d gave a different store than Resolve %d", i, i%2)
		}
	}
	keys, err := kv.AllKeys(t.Context(), got[0], "")
	if err != nil || !slices.Equal(keys, []string{"k0", "k2", "k4", "k6"}) {
		t.Fatalf("label0 keys = %q, %v", keys, err)
	}
}
