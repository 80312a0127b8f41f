package host

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/internal/testwasm"
)

// cacheEngine returns an engine using dir as its compile cache and the
// buffer its logs go to.
func cacheEngine(t *testing.T, dir string, maxMem int64) (*Engine, *bytes.Buffer) {
	var logs bytes.Buffer
	e := testEngine(t, &Options{CacheDir: dir, MaxMemory: maxMem, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	return e, &logs
}

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestCompileCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	wasm := testwasm.Wat(t, guestWAT(""))
	cfg := Config{ID: "cached", Wasm: wasm}
	compileWith := func(e *Engine) {
		t.Helper()
		c, err := e.Compile(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		i := instantiate(t, c)
		if _, err := i.Alloc(1, 16); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		corrupt func(path string) // applied to the cache file before compiling
		maxMem  int64
		wantLog []string
	}{
		{name: "first compile writes the cache", wantLog: []string{"host: compiled module"}},
		{name: "second engine loads from the cache", wantLog: []string{"host: loaded compiled module from cache"}},
		{
			name:    "flipped payload byte is recompiled",
			corrupt: func(p string) { flipByte(t, p, -10) },
			wantLog: []string{"checksum mismatch", "host: compiled module"},
		},
		{name: "rewritten entry loads again", wantLog: []string{"host: loaded compiled module from cache"}},
		{
			name:    "foreign file is recompiled",
			corrupt: func(p string) { os.WriteFile(p, []byte("not a cache file"), 0o600) },
			wantLog: []string{"not a spindle cache file", "host: compiled module"},
		},
		{
			name:    "different engine settings use another entry",
			maxMem:  64 << 20,
			wantLog: []string{"host: compiled module"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.corrupt != nil {
				for _, f := range cacheFiles(t, dir) {
					tt.corrupt(filepath.Join(dir, f))
				}
			}
			e, logs := cacheEngine(t, dir, tt.maxMem)
			compileWith(e)
			for _, want := range tt.wantLog {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
		})
	}
	files := cacheFiles(t, dir)
	if len(files) != 2 {
		t.Errorf("cache holds %q, want 2 entries (two engine settings)", files)
	}
	for _, f := range files {
		if strings.HasPrefix(f, ".tmp-") {
			t.Errorf("temporary file %s left behind", f)
		}
	}
}

func flipByte(t *testing.T, path string, off int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)+off] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCompileAll(t *testing.T) {
	e := testEngine(t, nil)
	good := testwasm.Wat(t, guestWAT(""))
	cfgs := []Config{
		{ID: "one", Wasm: good},
		{ID: "broken", Wasm: []byte("\x00asm\x01\x00\x00\x00garbage")},
		{ID: "two", Wasm: testwasm.Wat(t, `(module (func (export "f")))`)},
		{ID: "empty"},
	}
	if _, err := e.CompileAll(t.Context(), cfgs); err == nil {
		t.Fatal("CompileAll with broken components succeeded")
	} else {
		for _, id := range []string{`"broken"`, `"empty"`} {
			if !strings.Contains(err.Error(), id) {
				t.Errorf("error %q does not name component %s", err, id)
			}
		}
		if strings.Contains(err.Error(), `"one"`) || strings.Contains(err.Error(), `"two"`) {
			t.Errorf("error %q names a good component", err)
		}
		e.mu.RLock()
		open := len(e.comps)
		e.mu.RUnlock()
		if open != 0 {
			t.Errorf("after a failed CompileAll %d components are still open", open)
		}
	}
	comps, err := e.CompileAll(t.Context(), []Config{cfgs[0], cfgs[2]})
	if err != nil {
		t.Fatal(err)
	}
	if comps[0].ID() != "one" || comps[1].ID() != "two" || !comps[1].HasExport("f") {
		t.Errorf("CompileAll returned components out of order")
	}
}
