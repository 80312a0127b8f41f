package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// Open a file as Spin does (.spin/sqlite_key_value.db under the app's
// directory), write under two labels, and read them back after reopening.
func Example() {
	dir, err := os.MkdirTemp("", "spindle-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".spin", "sqlite_key_value.db")
	ctx := context.Background()

	db, err := sqlite.Open(path, nil) // creates .spin/
	if err != nil {
		panic(err)
	}
	def, _ := db.Store("default")
	cache, _ := db.Store("cache")
	def.Set(ctx, "greeting", []byte("hello"))
	cache.Set(ctx, "greeting", []byte("cached"))
	kv.Increment(ctx, def, "visits", 3)
	db.Close()

	db, err = sqlite.Open(path, nil)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	// A DB is a kv.Resolver: every label resolves.
	s, _ := db.Resolve(ctx, "default")
	v, _ := s.Get(ctx, "greeting")
	fmt.Printf("default: %s\n", v)
	keys, _ := kv.AllKeys(ctx, s, "")
	fmt.Println("keys:", keys)
	s, _ = db.Resolve(ctx, "cache")
	v, _ = s.Get(ctx, "greeting")
	fmt.Printf("cache: %s\n", v)
	// Output:
	// default: hello
	// keys: [greeting visits]
	// cache: cached
}

// An in-memory database holds many labels too; it lives until Close.
func ExampleOpen_memory() {
	ctx := context.Background()
	db, err := sqlite.Open(sqlite.Memory, nil)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	s, _ := db.Store("default")
	s.Set(ctx, "100%_literal", []byte("x"))
	s.Set(ctx, "100 other", []byte("y"))
	// Prefixes are literal: '%' and '_' are not LIKE wildcards.
	keys, _ := kv.AllKeys(ctx, s, "100%")
	fmt.Println(keys)
	// Output:
	// [100%_literal]
}
