package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/internal/testwasm"
)

// TestCacheEntryBoundToWasm checks that a cache entry only ever serves the
// exact wasm it was compiled from: app B's entry copied over app A's (same
// engine settings) is refused and A is recompiled from its own bytes.
func TestCacheEntryBoundToWasm(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	a := testwasm.Wat(t, `(module (func (export "app-a")))`)
	b := testwasm.Wat(t, `(module (func (export "app-b")))`)
	e, _ := cacheEngine(t, dir, 0)
	for _, w := range [][]byte{a, b} {
		m, err := e.Compile(t.Context(), Config{ID: "x", Wasm: w})
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	pathA, pathB := e.cachePath(a), e.cachePath(b)
	entryB, err := os.ReadFile(pathB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pathA, entryB, 0o600); err != nil {
		t.Fatal(err)
	}
	e2, logs := cacheEngine(t, dir, 0)
	m, err := e2.Compile(t.Context(), Config{ID: "a", Wasm: a})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.HasExport("app-a") || m.HasExport("app-b") {
		t.Fatal("app A was served the code cached for app B")
	}
	for _, want := range []string{"compiled from other wasm", "host: compiled module"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// TestCacheDirPermissions checks that Compile creates a missing cache
// directory (and its parents) for the owner only, and does not use one that
// others may write to.
func TestCacheDirPermissions(t *testing.T) {
	wasm := testwasm.Wat(t, `(module)`)
	t.Run("created 0700", func(t *testing.T) {
		root := t.TempDir()
		dir := filepath.Join(root, "user", "spindle")
		e, _ := cacheEngine(t, dir, 0)
		m, err := e.Compile(t.Context(), Config{ID: "x", Wasm: wasm})
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		for _, d := range []string{filepath.Join(root, "user"), dir} {
			fi, err := os.Stat(d)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o700 {
				t.Errorf("%s has mode %v, want 0700", d, perm)
			}
		}
		if files := cacheFiles(t, dir); len(files) != 1 {
			t.Errorf("cache holds %q, want one entry", files)
		}
	})
	t.Run("writable by others", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil { // past the umask
			t.Fatal(err)
		}
		e, logs := cacheEngine(t, dir, 0)
		m, err := e.Compile(t.Context(), Config{ID: "x", Wasm: wasm})
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		if !strings.Contains(logs.String(), "writable by other users") {
			t.Errorf("logs do not say why the cache is unused:\n%s", logs)
		}
		if files := cacheFiles(t, dir); len(files) != 0 {
			t.Errorf("cache written to a directory others can write: %q", files)
		}
	})
}

func TestDefaultCacheDir(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", base)
	t.Setenv("HOME", base)
	t.Setenv("LocalAppData", base)
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if rel, err := filepath.Rel(base, dir); err != nil || strings.HasPrefix(rel, "..") || !strings.Contains(dir, "spindle") {
		t.Errorf("DefaultCacheDir() = %q, want a spindle directory under the user cache %q", dir, base)
	}
}
