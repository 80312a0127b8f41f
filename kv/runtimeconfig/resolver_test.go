package runtimeconfig_test

import (
	"fmt"
	"path/filepath"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spindlekv/spindle/internal/redistest"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/kvtest"
	"github.com/spindlekv/spindle/kv/runtimeconfig"
)

// resolverCase is a runtime configuration whose Resolver kvtest checks.
type resolverCase struct {
	name   string
	shared bool // "default" and "other" share one keyspace
	// config returns the file's text and the state directory.
	config func(t *testing.T) (toml, stateDir string)
}

// runResolverCases runs kvtest's Resolver cases against the Resolver each
// configuration opens.
func runResolverCases(t *testing.T, tests []resolverCase) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kvtest.RunResolver(t, kvtest.ResolverHarness{
				LabelsShareKeys: tt.shared,
				NewResolver: func(t *testing.T) (kv.Resolver, func() error) {
					toml, stateDir := tt.config(t)
					c, err := runtimeconfig.Parse([]byte(toml), t.TempDir())
					if err != nil {
						t.Fatal(err)
					}
					r, err := c.Open(t.Context(), stateDir, nil)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { r.Close() })
					return r, r.Close
				},
			})
		})
	}
}

// TestResolverConformance runs kvtest's Resolver cases against the
// Resolver of a runtime configuration whose labels "default" and "other"
// are SQLite stores.
func TestResolverConformance(t *testing.T) {
	runResolverCases(t, []resolverCase{
		{name: "spin in memory", config: func(t *testing.T) (string, string) {
			return "[key_value_store.other]\ntype = \"spin\"\n", ""
		}},
		{name: "spin files", config: func(t *testing.T) (string, string) {
			return "[key_value_store.other]\ntype = \"spin\"\npath = \"other.db\"\n", t.TempDir()
		}},
		{name: "spin one file", config: func(t *testing.T) (string, string) {
			return "[key_value_store.default]\ntype = \"spin\"\npath = \"kv.db\"\n" +
				"[key_value_store.other]\ntype = \"spin\"\npath = \"kv.db\"\n", ""
		}},
	})
}

// TestResolverConformanceRedis runs kvtest's Resolver cases with Redis
// labels: a runtime configuration's Resolver is the one that serves
// kv/redis stores, which have none of their own.
func TestResolverConformanceRedis(t *testing.T) {
	srv := redistest.Start(t, nil)
	opt, err := goredis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(opt)
	t.Cleanup(func() { raw.Close() })
	// url empties the server for a fresh Resolver.
	url := func(t *testing.T) string {
		t.Helper()
		if err := raw.FlushAll(t.Context()).Err(); err != nil {
			t.Fatalf("FLUSHALL: %v", err)
		}
		return srv.URL
	}
	runResolverCases(t, []resolverCase{
		{name: "spin layout", shared: true, config: func(t *testing.T) (string, string) {
			return fmt.Sprintf("[key_value_store.default]\ntype = \"redis\"\nurl = %[1]q\n"+
				"[key_value_store.other]\ntype = \"redis\"\nurl = %[1]q\n", url(t)), ""
		}},
		{name: "key_prefix", config: func(t *testing.T) (string, string) {
			return fmt.Sprintf("[key_value_store.default]\ntype = \"redis\"\nurl = %[1]q\nkey_prefix = \"d:\"\n"+
				"[key_value_store.other]\ntype = \"redis\"\nurl = %[1]q\nkey_prefix = \"o:\"\n", url(t)), ""
		}},
	})
}

// TestResolvedStoresKeepCapabilities checks that the stores a runtime
// configuration resolves, which Close cannot close, still offer every
// optional capability of their driver.
func TestResolvedStoresKeepCapabilities(t *testing.T) {
	srv := redistest.Start(t, nil)
	c, err := runtimeconfig.Parse([]byte(fmt.Sprintf("[key_value_store.r]\ntype = \"redis\"\nurl = %q\n", srv.URL)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Open(t.Context(), filepath.Join(t.TempDir(), "state"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, label := range []string{"default", "r"} {
		s, err := r.Resolve(t.Context(), label)
		if err != nil {
			t.Fatal(err)
		}
		_, batch := s.(kv.Batcher)
		_, inc := s.(kv.Incrementer)
		_, cas := s.(kv.CompareAndSwapper)
		_, exp := s.(kv.Expirer)
		if !batch || !inc || !cas || !exp {
			t.Errorf("store %q (%T): Batcher %v, Incrementer %v, CompareAndSwapper %v, Expirer %v; want all",
				label, s, batch, inc, cas, exp)
		}
	}
}
