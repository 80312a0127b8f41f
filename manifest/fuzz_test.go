package manifest_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spindlekv/spindle/manifest"
)

// FuzzParse checks that no input makes Parse panic, that every failure
// is reported as *Error values with a position, and that a success
// yields a model whose triggers name existing components.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*", "*.toml"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		f.Add(data, true)
	}
	f.Add([]byte("spin_manifest_version = 2\n[[trigger.http]]\ncomponent = { source = \"x.wasm\" }\nroute = \"/\"\n[application]\nname = \"n\"\n"), false)
	f.Add([]byte("spin_version = \"1\"\na.b.c = [[1], {x = {y = 2}}]\n[[component]]\n[component.trigger]\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, spin1 bool) {
		opts := &manifest.Options{}
		if spin1 {
			opts.V1Rules = manifest.Spin1
		}
		app, err := manifest.Parse(data, opts)
		if err != nil {
			if app != nil {
				t.Fatal("non-nil App with an error")
			}
			for _, e := range flatten(err) {
				var me *manifest.Error
				if !errors.As(e, &me) {
					t.Fatalf("%v is not a *manifest.Error", e)
				}
				if me.Line < 1 || me.Column < 1 || me.Err == nil {
					t.Fatalf("bad error %#v", me)
				}
			}
			return
		}
		if app.ManifestVersion != 1 && app.ManifestVersion != 2 {
			t.Fatalf("version %d", app.ManifestVersion)
		}
		for _, h := range app.HTTPTriggers {
			if _, ok := app.Component(h.Component); !ok {
				t.Fatalf("HTTP trigger %q names missing component %q", h.ID, h.Component)
			}
			if h.Executor.Type != manifest.ExecutorSpin && h.Executor.Type != manifest.ExecutorWagi {
				t.Fatalf("executor %q", h.Executor.Type)
			}
		}
		for _, c := range app.Components {
			if _, err := app.ResolveVariables(c.ID, func(string) (string, bool) { return "v", true }); err != nil {
				t.Fatalf("templates accepted by Parse fail to resolve: %v", err)
			}
		}
	})
}
