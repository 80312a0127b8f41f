package host

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/internal/testwasm"
)

// TestCompileAllCompilesEachModuleOnce checks that CompileAll compiles
// identical wasm once however many components use it (24 redirect
// components of one app share one module), with and without a cache, and
// that every component it returns works on its own.
func TestCompileAllCompilesEachModuleOnce(t *testing.T) {
	a := testwasm.Wat(t, guestWAT(""))
	b := testwasm.Wat(t, guestWAT(`(func (export "other"))`))
	tests := []struct {
		name     string
		cacheDir bool
	}{
		{"no cache", false},
		{"empty cache", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dir string
			if tt.cacheDir {
				dir = filepath.Join(t.TempDir(), "cache")
			}
			e, logs := cacheEngine(t, dir, 0)
			var cfgs []Config
			for k := range 24 {
				cfgs = append(cfgs, Config{ID: fmt.Sprintf("redirect-%d", k), Wasm: a})
			}
			cfgs = append(cfgs, Config{ID: "other", Wasm: b}, Config{ID: "other-2", Wasm: b})
			mods, err := e.CompileAll(t.Context(), cfgs)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(logs.String(), `msg="host: compiled module"`); n != 2 {
				t.Errorf("compiled %d times for 2 distinct modules; log:\n%s", n, logs)
			}
			mods[0].Close() // the others must not depend on it
			for k, m := range mods[1:] {
				if m.ID() != cfgs[k+1].ID {
					t.Errorf("module %d has id %q, want %q", k+1, m.ID(), cfgs[k+1].ID)
				}
				i := instantiate(t, m)
				if _, err := i.Alloc(1, 16); err != nil {
					t.Errorf("%s: %v", m.ID(), err)
				}
				i.Close()
			}
			if !mods[25].HasExport("other") || mods[1].HasExport("other") {
				t.Error("components got each other's module")
			}
		})
	}
}

// TestConcurrentCompileSharesModule hammers Compile of one wasm from many
// goroutines (under -race): every result works, and a module is never
// compiled more often than there were calls.
func TestConcurrentCompileSharesModule(t *testing.T) {
	e, logs := cacheEngine(t, "", 0)
	wasm := testwasm.Wat(t, guestWAT(""))
	const n = 8
	mods := make([]*Module, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mods[k], errs[k] = e.Compile(t.Context(), Config{ID: fmt.Sprint(k), Wasm: wasm})
		}()
	}
	wg.Wait()
	for k := range n {
		if errs[k] != nil {
			t.Fatal(errs[k])
		}
		i := instantiate(t, mods[k])
		if _, err := i.Alloc(1, 16); err != nil {
			t.Error(err)
		}
		i.Close()
		mods[k].Close()
	}
	if c := strings.Count(logs.String(), `msg="host: compiled module"`); c < 1 || c > n {
		t.Errorf("compiled %d times for %d calls", c, n)
	}
}
