package sqlite_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// Spin's statements, as in v1.5.1 crates/key-value-sqlite/src/lib.rs and
// v3.1.2 crates/key-value-spin/src/store.rs.
const (
	spinCreate = `CREATE TABLE IF NOT EXISTS spin_key_value (
                           store TEXT NOT NULL,
                           key   TEXT NOT NULL,
                           value BLOB NOT NULL,

                           PRIMARY KEY (store, key)
                        )`
	spinSet = `INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT(store, key) DO UPDATE SET value=$3`
	spinGet     = `SELECT value FROM spin_key_value WHERE store=$1 AND key=$2`
	spinDelete  = `DELETE FROM spin_key_value WHERE store=$1 AND key=$2`
	spinGetKeys = `SELECT key FROM spin_key_value WHERE store=$1`
)

// spinData is what the compatibility tests write: label -> key -> value.
func spinData() map[string]map[string][]byte {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	return map[string]map[string][]byte{
		"default": {
			"greeting":   []byte("hello"),
			"":           []byte("the empty key"),
			"empty":      {},
			"binary":     all,
			"unicode/日本": []byte("ü"),
			"100%_'x'":   []byte("metacharacters"),
			"counter":    {7, 0, 0, 0, 0, 0, 0, 0},
		},
		"other": {
			"greeting": []byte("bonjour"),
			"only":     []byte("here"),
		},
		"third-label": {
			"k": []byte("v"),
		},
	}
}

// openSpin opens path as Spin does: go-sqlite3 with default settings
// (rollback journal), creating Spin's table.
func openSpin(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // Spin: one connection behind a mutex
	t.Cleanup(func() { db.Close() })
	if _, err := db.ExecContext(t.Context(), spinCreate); err != nil {
		t.Fatal(err)
	}
	return db
}

func spinKeys(t *testing.T, db *sql.DB, label string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), spinGetKeys, label)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys) // Spin's get-keys has no order
	return keys
}

func spinGetValue(t *testing.T, db *sql.DB, label, key string) ([]byte, bool) {
	t.Helper()
	var v []byte
	err := db.QueryRowContext(t.Context(), spinGet, label, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("Spin get %q/%q: %v", label, key, err)
	}
	return v, true
}

func sortedKeys(m map[string][]byte) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestReadSpinFile builds a database the way Spin does and reads every
// value of every label with the store.
func TestReadSpinFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sqlite_key_value.db")
	spin := openSpin(t, path)
	data := spinData()
	for label, kvs := range data {
		for k, v := range kvs {
			if _, err := spin.ExecContext(t.Context(), spinSet, label, k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Spin overwrites too.
	if _, err := spin.ExecContext(t.Context(), spinSet, "default", "greeting", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := spin.Close(); err != nil {
		t.Fatal(err)
	}

	db := openDB(t, path, nil)
	for label, kvs := range data {
		s, err := db.Resolve(t.Context(), label)
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range kvs {
			got, err := s.Get(t.Context(), k)
			if err != nil {
				t.Fatalf("%s: Get(%q): %v", label, k, err)
			}
			if string(got) != string(want) {
				t.Fatalf("%s: Get(%q) = %q, want %q", label, k, got, want)
			}
		}
		keys, err := kv.AllKeys(t.Context(), s, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := sortedKeys(kvs); !slices.Equal(keys, want) {
			t.Fatalf("%s: keys %q, want %q", label, keys, want)
		}
	}
	// Spin's counter encoding is the store's.
	s, _ := db.Resolve(t.Context(), "default")
	if n, err := kv.Increment(t.Context(), s, "counter", 1); err != nil || n != 8 {
		t.Fatalf("Increment of Spin's counter = %d, %v; want 8", n, err)
	}
}

// TestSpinReadsStoreFile writes with the store and reads with Spin's
// statements; then Spin writes, and the store sees Spin's writes.
func TestSpinReadsStoreFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), ".spin", "sqlite_key_value.db")
	db, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := spinData()
	for label, kvs := range data {
		s, err := db.Store(label)
		if err != nil {
			t.Fatal(err)
		}
		first := true
		for k, v := range kvs {
			if first { // one key through Set, the rest in a batch
				if err := s.Set(ctx, k, v); err != nil {
					t.Fatal(err)
				}
				first = false
				continue
			}
			if err := s.SetMany(ctx, map[string][]byte{k: v}); err != nil {
				t.Fatal(err)
			}
		}
	}
	def, _ := db.Store("default")
	if err := def.SetWithTTL(ctx, "ttl", []byte("expiring"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := def.Increment(ctx, "spin-counter", 3); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data["default"]["ttl"] = []byte("expiring")
	data["default"]["spin-counter"] = []byte{3, 0, 0, 0, 0, 0, 0, 0}

	spin := openSpin(t, path)
	for label, kvs := range data {
		if got, want := spinKeys(t, spin, label), sortedKeys(kvs); !slices.Equal(got, want) {
			t.Fatalf("%s: Spin's get-keys = %q, want %q", label, got, want)
		}
		for k, want := range kvs {
			got, ok := spinGetValue(t, spin, label, k)
			if !ok || string(got) != string(want) {
				t.Fatalf("%s: Spin's get(%q) = %q, %v; want %q", label, k, got, ok, want)
			}
		}
	}
	// Spin writes into the file: an overwrite (which also clears the TTL,
	// as a Set here does), a delete and a new key.
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{spinSet, []any{"default", "ttl", []byte("from spin")}},
		{spinDelete, []any{"other", "only"}},
		{spinSet, []any{"new-label", "k", []byte("new")}},
	} {
		if _, err := spin.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("Spin's %q: %v", q.sql, err)
		}
	}
	if err := spin.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path, nil)
	def, _ = db.Store("default")
	other, _ := db.Store("other")
	nl, _ := db.Store("new-label")
	for _, c := range []struct {
		s    kv.Store
		key  string
		want string // "" = absent
	}{
		{def, "ttl", "from spin"},
		{other, "only", ""},
		{nl, "k", "new"},
	} {
		got, err := c.s.Get(ctx, c.key)
		if c.want == "" {
			if !errors.Is(err, kv.ErrNotFound) {
				t.Fatalf("Get(%q) after Spin's delete = %q, %v", c.key, got, err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Fatalf("Get(%q) after Spin's write = %q, %v; want %q", c.key, got, err, c.want)
		}
	}
	if db.Path() != path {
		t.Fatalf("Path() = %q, want %q", db.Path(), path)
	}
	var n int
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM spindle_key_value_expiry`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// The table definition Spindle recorded is Spin's, byte for byte.
	var tableSQL string
	if err := raw.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'spin_key_value'`).Scan(&tableSQL); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimPrefix(spinCreate, "CREATE TABLE IF NOT EXISTS"); tableSQL != "CREATE TABLE"+want {
		t.Fatalf("table definition %q, want Spin's %q", tableSQL, spinCreate)
	}
	if n != 0 {
		t.Fatalf("%d expiry rows left after Spin overwrote the only key with a TTL", n)
	}
}
