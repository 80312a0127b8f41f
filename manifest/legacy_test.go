package manifest_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/spindlekv/spindle/manifest"
)

// TestLoadSpinLegacyApp loads Spin's own tests/testcases/legacy-apps-test
// manifest in place, with the default options: spin_version = "1" and
// trigger = { type = "http" } with no base, which Spin 2 and 3 run with
// base "/" (v3.1.2:crates/manifest/src/schema/v1.rs keeps the trigger's
// keys as opaque settings; base is not required).
func TestLoadSpinLegacyApp(t *testing.T) {
	path := filepath.Join(corpusDir(t), "spin-v3", "tests_testcases_legacy-apps-test.toml")
	app, err := manifest.Load(path, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if app.ManifestVersion != 1 || app.HTTPBase != "/" {
		t.Errorf("ManifestVersion, HTTPBase = %d, %q; want 1, \"/\"", app.ManifestVersion, app.HTTPBase)
	}
	var routes []string
	for _, h := range app.HTTPTriggers {
		routes = append(routes, h.Component+" "+h.Route)
	}
	want := []string{"go /golang/...", "rust /rust/...", "typescript /typescript/...", "javascript /javascript/..."}
	if !slices.Equal(routes, want) {
		t.Errorf("HTTP triggers = %q, want %q", routes, want)
	}
	if app.Dir != filepath.Dir(path) {
		t.Errorf("Dir = %q, want the manifest's directory %q", app.Dir, filepath.Dir(path))
	}
}
