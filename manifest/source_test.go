package manifest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/manifest"
)

// TestRemoteSourceError checks that a component whose source Spindle
// does not fetch fails with one line naming the manifest file and the
// component once, what the source is, and what Spindle supports.
func TestRemoteSourceError(t *testing.T) {
	const url = "https://example.com/x.wasm"
	tests := []struct {
		name string
		toml string
		want []string
	}{
		{
			name: "v1 URL",
			toml: "spin_manifest_version = \"1\"\nname = \"a\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"x\"\nsource = { url = \"" + url + "\", digest = \"sha256:00\" }\n[component.trigger]\nroute = \"/\"\n",
			want: []string{"spin.toml:4:3: ", url, "sha256:00", "local wasm file"},
		},
		{
			name: "v2 registry package",
			toml: "spin_manifest_version = 2\n[application]\nname = \"a\"\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"x\"\n[component.x]\nsource = { registry = \"ghcr.io\", package = \"acme:x\", version = \"1.0.0\" }\n",
			want: []string{"spin.toml:7:12: ", "acme:x@1.0.0", "ghcr.io", "local wasm file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			app, err := manifest.Parse([]byte(tt.toml), &manifest.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			c := &app.Components[0]
			for _, call := range []struct {
				name string
				fn   func() error
			}{
				{"ReadSource", func() error { _, err := app.ReadSource(c); return err }},
				{"SourcePath", func() error { _, err := app.SourcePath(c); return err }},
			} {
				err := call.fn()
				if !errors.Is(err, manifest.ErrRemoteSource) {
					t.Fatalf("%s: err = %v, want ErrRemoteSource", call.name, err)
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || strings.Count(msg, `"x"`) != 1 {
					t.Errorf("%s: %q is not one line naming the component once", call.name, msg)
				}
				for _, w := range tt.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: %q does not contain %q", call.name, msg, w)
					}
				}
			}
		})
	}
}
