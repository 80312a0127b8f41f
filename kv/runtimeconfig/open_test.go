package runtimeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spindlekv/spindle/internal/redistest"
	"github.com/spindlekv/spindle/kv"
	kvredis "github.com/spindlekv/spindle/kv/redis"
	"github.com/spindlekv/spindle/kv/sqlite"
)

func mustParse(t *testing.T, data, dir string) *Config {
	t.Helper()
	c, err := Parse([]byte(data), dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustOpen(t *testing.T, c *Config, stateDir string, opts *OpenOptions) *Resolver {
	t.Helper()
	r, err := c.Open(t.Context(), stateDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func mustResolve(t *testing.T, r *Resolver, label string) kv.Store {
	t.Helper()
	s, err := r.Resolve(t.Context(), label)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readBack opens a SQLite file afresh and returns the value of key under
// label, as Spin would read it.
func readBack(t *testing.T, path, label, key string) string {
	t.Helper()
	db, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Resolve(t.Context(), label)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("%s: label %q key %q: %v", path, label, key, err)
	}
	return string(v)
}

func TestOpenDefaultStore(t *testing.T) {
	tests := []struct {
		name     string
		config   string // "" and nilConfig: no file
		nil      bool
		stateDir func(t *testing.T) string
		wantFile func(stateDir, cfgDir string) string // "" means in memory
	}{
		{
			name:     "no file, state dir",
			nil:      true,
			stateDir: func(t *testing.T) string { return filepath.Join(t.TempDir(), "state") },
			wantFile: func(sd, _ string) string { return filepath.Join(sd, DefaultStoreFile) },
		},
		{
			name:     "no file, no state dir",
			nil:      true,
			stateDir: func(*testing.T) string { return "" },
		},
		{
			name:     "file without default",
			config:   "[key_value_store.other]\ntype = \"spin\"\n",
			stateDir: func(t *testing.T) string { return t.TempDir() },
			wantFile: func(sd, _ string) string { return filepath.Join(sd, DefaultStoreFile) },
		},
		{
			name:     "file replaces default",
			config:   "[key_value_store.default]\ntype = \"spin\"\npath = \"mine.db\"\n",
			stateDir: func(t *testing.T) string { return t.TempDir() },
			wantFile: func(_, cfgDir string) string { return filepath.Join(cfgDir, "mine.db") },
		},
		{
			name:     "file makes default in-memory",
			config:   "[key_value_store.default]\ntype = \"spin\"\n",
			stateDir: func(t *testing.T) string { return t.TempDir() },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgDir := t.TempDir()
			var c *Config
			if !tt.nil {
				c = mustParse(t, tt.config, cfgDir)
			}
			sd := tt.stateDir(t)
			r := mustOpen(t, c, sd, nil)
			s := mustResolve(t, r, "default")
			if err := s.Set(t.Context(), "k", []byte("v")); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.wantFile == nil {
				if sd != "" {
					if _, err := os.Stat(filepath.Join(sd, DefaultStoreFile)); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("an in-memory default store created %s (err %v)", DefaultStoreFile, err)
					}
				}
				return
			}
			if got := readBack(t, tt.wantFile(sd, cfgDir), "default", "k"); got != "v" {
				t.Errorf("read back %q, want v", got)
			}
		})
	}
}

func TestOpenSharesSQLite(t *testing.T) {
	dir := t.TempDir()
	c := mustParse(t, `
[key_value_store.default]
type = "spin"
path = "shared.db"
[key_value_store.other]
type = "spin"
path = "./sub/../shared.db"
[key_value_store.mem1]
type = "spin"
[key_value_store.mem2]
type = "spin"
`, dir)
	r := mustOpen(t, c, "", nil)
	if len(r.dbs) != 2 {
		t.Fatalf("opened %d SQLite databases, want 2 (one file shared by two labels, one in-memory)", len(r.dbs))
	}
	ctx := t.Context()
	for _, label := range []string{"default", "other", "mem1", "mem2"} {
		if err := mustResolve(t, r, label).Set(ctx, "k", []byte(label)); err != nil {
			t.Fatal(err)
		}
	}
	for _, label := range []string{"default", "other", "mem1", "mem2"} {
		v, err := mustResolve(t, r, label).Get(ctx, "k")
		if err != nil || string(v) != label {
			t.Errorf("label %q: Get = %q, %v; labels sharing a database must keep their own keys", label, v, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"default", "other"} {
		if got := readBack(t, filepath.Join(dir, "shared.db"), label, "k"); got != label {
			t.Errorf("label %q in shared.db = %q", label, got)
		}
	}
}

func TestOpenRedis(t *testing.T) {
	srv := redistest.Start(t, nil)
	c := mustParse(t, fmt.Sprintf(`
[key_value_store.default]
type = "redis"
url = %[1]q
[key_value_store.shared]
type = "redis"
url = %[1]q
[key_value_store.iso]
type = "redis"
url = %[1]q
key_prefix = "iso:"
`, srv.URL), t.TempDir())
	r := mustOpen(t, c, "", nil)
	if len(r.clients) != 1 {
		t.Errorf("created %d Redis clients for one URL, want 1", len(r.clients))
	}
	ctx := t.Context()
	def, shared, iso := mustResolve(t, r, "default"), mustResolve(t, r, "shared"), mustResolve(t, r, "iso")
	if err := def.Set(ctx, "k", []byte("from default")); err != nil {
		t.Fatal(err)
	}
	if v, err := shared.Get(ctx, "k"); err != nil || string(v) != "from default" {
		t.Errorf("shared.Get = %q, %v; labels without a prefix share the keyspace, as in Spin", v, err)
	}
	if _, err := iso.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("iso.Get = %v; a key_prefix label must not see other keys", err)
	}
	if err := iso.Set(ctx, "k", []byte("iso")); err != nil {
		t.Fatal(err)
	}
	opt, _ := goredis.ParseURL(srv.URL)
	raw := goredis.NewClient(opt)
	defer raw.Close()
	keys, err := raw.Keys(ctx, "*").Result()
	slices.Sort(keys)
	if err != nil || !slices.Equal(keys, []string{"iso:k", "k"}) {
		t.Errorf("Redis keys = %q, %v; want [iso:k k]", keys, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := def.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get after Resolver.Close = %v, want kv.ErrClosed", err)
	}
}

func TestOpenRedisDown(t *testing.T) {
	srv := redistest.Start(t, nil)
	url := srv.URL
	srv.Stop(t)
	c := mustParse(t, fmt.Sprintf("[key_value_store.default]\ntype = \"redis\"\nurl = %q\n", url), t.TempDir())
	// Open does not contact the server: a host can start while Redis is down.
	r := mustOpen(t, c, "", nil)
	s := mustResolve(t, r, "default")
	if _, err := s.Get(t.Context(), "k"); !errors.Is(err, kvredis.ErrUnavailable) {
		t.Errorf("Get with Redis down = %v, want kv/redis.ErrUnavailable", err)
	}
}

func TestResolver(t *testing.T) {
	var logs bytes.Buffer
	c := mustParse(t, "[key_value_store.a]\ntype = \"spin\"\n[llm_compute]\ntype = \"spin\"\n", "")
	r := mustOpen(t, c, "", &OpenOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if got := r.Labels(); !slices.Equal(got, []string{"a", "default"}) {
		t.Errorf("Labels = %q", got)
	}
	if !strings.Contains(logs.String(), "section=llm_compute") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("no warning for the ignored section; log: %s", logs.String())
	}
	a := mustResolve(t, r, "a")
	if again := mustResolve(t, r, "a"); again != a {
		t.Error("Resolve returned a different store for the same label")
	}
	if _, err := r.Resolve(t.Context(), "nope"); !errors.Is(err, kv.ErrNoSuchStore) {
		t.Errorf("Resolve(nope) = %v, want kv.ErrNoSuchStore", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := r.Resolve(t.Context(), "a"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Resolve after Close = %v, want kv.ErrClosed", err)
	}
	if err := a.Set(t.Context(), "k", nil); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("store Set after Resolver.Close = %v, want kv.ErrClosed", err)
	}
}

func TestOpenFailureClosesEverything(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// "a" opens; "b" cannot, since its parent directory is a file.
	c := mustParse(t, "[key_value_store.a]\ntype = \"spin\"\npath = \"a.db\"\n[key_value_store.b]\ntype = \"spin\"\npath = \"file/b.db\"\n", dir)
	_, err := c.Open(t.Context(), "", nil)
	if err == nil || !strings.Contains(err.Error(), `store "b"`) {
		t.Fatalf("Open = %v; want an error naming store \"b\"", err)
	}
}

func TestStateDirFor(t *testing.T) {
	empty, flagged := "", "/flag"
	withDir := &Config{StateDir: "/from-file", HasStateDir: true}
	withEmpty := &Config{StateDir: "", HasStateDir: true}
	tests := []struct {
		name   string
		c      *Config
		flag   *string
		appDir string
		want   string
	}{
		{name: "flag wins", c: withDir, flag: &flagged, appDir: "/app", want: "/flag"},
		{name: "empty flag means none", c: withDir, flag: &empty, appDir: "/app", want: ""},
		{name: "file", c: withDir, appDir: "/app", want: "/from-file"},
		{name: "empty in file means none", c: withEmpty, appDir: "/app", want: ""},
		{name: "app dir", c: &Config{}, appDir: "/app", want: filepath.Join("/app", ".spin")},
		{name: "no file", c: nil, appDir: "/app", want: filepath.Join("/app", ".spin")},
		{name: "remote app", c: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.StateDirFor(tt.flag, tt.appDir); got != tt.want {
				t.Errorf("StateDirFor = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestResolverHammer resolves and uses stores from many goroutines while
// the Resolver is closed under them: every call either works or fails with
// kv.ErrClosed.
func TestResolverHammer(t *testing.T) {
	c := mustParse(t, "[key_value_store.a]\ntype = \"spin\"\n[key_value_store.b]\ntype = \"spin\"\npath = \"b.db\"\n", t.TempDir())
	r, err := c.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				label := []string{"a", "b", "default"}[(g+i)%3]
				s, err := r.Resolve(ctx, label)
				if errors.Is(err, kv.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Resolve(%q): %v", label, err)
					return
				}
				if err := s.Set(ctx, fmt.Sprint("k", g), []byte("v")); err != nil && !errors.Is(err, kv.ErrClosed) {
					t.Errorf("Set: %v", err)
					return
				}
				_ = r.Labels()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	wg.Wait()
}
