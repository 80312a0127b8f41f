//go:build !wasip1

package spinguest_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/spindlekv/spindle/examples/internal/guestbuild"
	"github.com/spindlekv/spindle/examples/spinguest"
	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
	"github.com/spindlekv/spindle/manifest"
)

const kvcheckManifest = `spin_manifest_version = "1"
name = "kvcheck"
version = "1.0.0"
trigger = { type = "http", base = "/" }

[[component]]
id = "kvcheck"
source = "kvcheck.wasm"
key_value_stores = ["default"]
[component.trigger]
route = "/..."
`

// TestKeyValueThroughHost builds testdata/kvcheck (a standard-Go guest that
// walks Spin's key-value test case through this package) and runs it on
// Spindle's host: access denied, missing keys, overwrites, empty and
// 256 KiB values, get-keys, a host-seeded key and use after Close all
// behave as Spin's test expects.
func TestKeyValueThroughHost(t *testing.T) {
	dir := t.TempDir()
	guestbuild.Build(t, "testdata/kvcheck", filepath.Join(dir, "kvcheck.wasm"))
	app, err := manifest.Parse([]byte(kvcheckManifest), &manifest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	engine, err := host.NewEngine(&host.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	store := memory.New()
	if err := store.Set(t.Context(), "seeded", []byte("from the host")); err != nil {
		t.Fatal(err)
	}
	h, err := httptrigger.New(t.Context(), app, engine, kv.Stores{"default": store}, &httptrigger.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/check?testkey=seeded&testval=from+the+host", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("kvcheck = %d %q, want 200 and no body", rec.Code, rec.Body)
	}
	if keys, err := kv.AllKeys(t.Context(), store, ""); err != nil || len(keys) != 0 {
		t.Errorf("store keys after the guest deleted everything = %q, %v", keys, err)
	}

	// The check reports discrepancies: the seeded key is gone now.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/check?testkey=seeded&testval=x", nil))
	if want := `get(seeded) = "", get "seeded" in "default": spinguest: no such key, want "x"` + "\n"; rec.Code != 500 || rec.Body.String() != want {
		t.Errorf("kvcheck with a missing key = %d %q, want 500 %q", rec.Code, rec.Body, want)
	}
}

func TestNotGuest(t *testing.T) {
	if _, err := spinguest.Open("default"); !errors.Is(err, spinguest.ErrNotGuest) {
		t.Errorf("Open outside wasip1 = %v, want ErrNotGuest", err)
	}
}
