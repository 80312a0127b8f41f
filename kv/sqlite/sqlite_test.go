package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/kvtest"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// openDB opens path and closes it when the test ends.
func openDB(t testing.TB, path string, opts *sqlite.Options) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformanceFile(t *testing.T) {
	kvtest.Run(t, kvtest.Harness{
		ErrorPrefix: "kv/sqlite: ",
		NewBackend: func(t *testing.T) kvtest.Backend {
			path := filepath.Join(t.TempDir(), "sub", "dir", "kv.db")
			db := openDB(t, path, nil)
			return kvtest.Backend{
				Open: func(_ context.Context, label string) (kv.Store, error) {
					return db.Store(label)
				},
				Reopen: func(context.Context) error {
					if err := db.Close(); err != nil {
						return err
					}
					db = openDB(t, path, nil)
					return nil
				},
			}
		},
	})
}

func TestConformanceMemory(t *testing.T) {
	kvtest.Run(t, kvtest.Harness{
		ErrorPrefix: "kv/sqlite: ",
		NewBackend: func(t *testing.T) kvtest.Backend {
			db := openDB(t, sqlite.Memory, nil)
			return kvtest.Backend{
				Open: func(_ context.Context, label string) (kv.Store, error) {
					return db.Store(label)
				},
			}
		},
	})
}

// TestResolverConformance runs kvtest's Resolver cases against a DB, on a
// file and in memory.
func TestResolverConformance(t *testing.T) {
	for _, tt := range []struct{ name, file string }{{"file", "kv.db"}, {"memory", ""}} {
		t.Run(tt.name, func(t *testing.T) {
			kvtest.RunResolver(t, kvtest.ResolverHarness{
				ErrorPrefix: "kv/sqlite: ",
				NewResolver: func(t *testing.T) (kv.Resolver, func() error) {
					path := sqlite.Memory
					if tt.file != "" {
						path = filepath.Join(t.TempDir(), tt.file)
					}
					db := openDB(t, path, nil)
					return db, db.Close
				},
			})
		})
	}
}
