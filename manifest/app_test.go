package manifest_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/spindlekv/spindle/manifest"
)

const varsManifest = `spin_manifest_version = "1"
name = "vars"
version = "1"
trigger = { type = "http", base = "/" }

[variables]
greeting = { default = "Hello" }
name = { required = true }
empty = { default = "" }

[[component]]
id = "hello"
source = "hello.wasm"
trigger = { route = "/" }
[component.config]
message = "{{ greeting }}, {{name}}!"
literal = "no templates } here }}"
both = "{{name}}{{ name }}"
blank = "[{{ empty }}]"
`

func TestResolveVariables(t *testing.T) {
	app, err := manifest.Parse([]byte(varsManifest), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		values  map[string]string
		want    map[string]string
		wantErr error
	}{
		{
			name:   "defaults and provider",
			values: map[string]string{"name": "Ada"},
			want:   map[string]string{"message": "Hello, Ada!", "literal": "no templates } here }}", "both": "AdaAda", "blank": "[]"},
		},
		{
			name:   "provider overrides default",
			values: map[string]string{"name": "Bob", "greeting": "Hi", "empty": "x"},
			want:   map[string]string{"message": "Hi, Bob!", "literal": "no templates } here }}", "both": "BobBob", "blank": "[x]"},
		},
		{
			name:   "empty provider value is a value",
			values: map[string]string{"name": ""},
			want:   map[string]string{"message": "Hello, !", "literal": "no templates } here }}", "both": "", "blank": "[]"},
		},
		{
			name:    "required missing",
			values:  map[string]string{},
			wantErr: manifest.ErrUnresolvedVariable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			got, err := app.ResolveVariables("hello", func(name string) (string, bool) {
				asked = append(asked, name)
				v, ok := tt.values[name]
				return v, ok
			})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), `"name"`) || !strings.Contains(err.Error(), `"hello"`) {
					t.Errorf("error %q does not name the variable and component", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, n := range asked {
				if n != "name" && n != "greeting" && n != "empty" {
					t.Errorf("lookup asked for %q", n)
				}
			}
		})
	}
	if _, err := app.ResolveVariables("nope", nil); !errors.Is(err, manifest.ErrUnknownComponent) {
		t.Errorf("unknown component: err = %v", err)
	}
}

// TestResolveVariablesRechecks covers templates changed after parsing
// (an App is a plain value callers may build or edit).
func TestResolveVariablesRechecks(t *testing.T) {
	app, err := manifest.Parse([]byte(varsManifest), nil)
	if err != nil {
		t.Fatal(err)
	}
	app.Components[0].Variables = map[string]string{"a": "{{ nope }}", "b": "{{ open"}
	_, err = app.ResolveVariables("hello", nil)
	if !errors.Is(err, manifest.ErrInvalidTemplate) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "unmatched") {
		t.Errorf("err = %v", err)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const filesManifest = `spin_manifest_version = "1"
name = "files"
version = "1"
trigger = { type = "http", base = "/" }

[[component]]
id = "hello"
source = "bin/hello.wasm"
trigger = { route = "/" }
files = FILES
exclude_files = EXCLUDE
`

func filesApp(t *testing.T, dir, files, exclude string) *manifest.App {
	t.Helper()
	text := strings.NewReplacer("FILES", files, "EXCLUDE", exclude).Replace(filesManifest)
	writeFiles(t, dir, map[string]string{"spin.toml": text})
	app, err := manifest.Load(dir, nil) // a directory loads its spin.toml
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestExpandFiles(t *testing.T) {
	tree := map[string]string{
		"bin/hello.wasm":         "wasm",
		"static/index.html":      "i",
		"static/a.txt":           "a",
		"static/secret.txt":      "s",
		"static/sub/deep/b.txt":  "b",
		"static/sub/c.bak":       "c",
		"assets/logo.png":        "l",
		"assets/fonts/mono.ttf":  "m",
		"top.txt":                "t",
		"static/.hidden":         "h",
		"other/static/x.txt":     "x",
		"other/static/a.txt":     "oa",
		"emptydir/.keep":         "k",
		"static/sub/deep/e.html": "e",
	}
	tests := []struct {
		name    string
		files   string
		exclude string
		want    []string // "host rel -> guest"
		wantErr error
	}{
		{
			name:  "single star stays in one directory",
			files: `["static/*.txt"]`, exclude: `[]`,
			want: []string{"static/a.txt -> /static/a.txt", "static/secret.txt -> /static/secret.txt"},
		},
		{
			name:  "double star crosses directories",
			files: `["static/**/*.txt"]`, exclude: `[]`,
			want: []string{"static/a.txt -> /static/a.txt", "static/secret.txt -> /static/secret.txt", "static/sub/deep/b.txt -> /static/sub/deep/b.txt"},
		},
		{
			name:  "bare directory selects nothing",
			files: `["static"]`, exclude: `[]`,
			want: nil,
		},
		{
			name:  "exclusion wins",
			files: `["static/**/*"]`, exclude: `["static/secret.txt", "**/*.bak", "**/.hidden", "static/sub/deep/*.html"]`,
			want: []string{"static/a.txt -> /static/a.txt", "static/index.html -> /static/index.html", "static/sub/deep/b.txt -> /static/sub/deep/b.txt"},
		},
		{
			name:  "placement",
			files: `[{ source = "assets", destination = "/www" }]`, exclude: `["assets/fonts/*"]`,
			want: []string{"assets/logo.png -> /www/logo.png"},
		},
		{
			name:  "placement at root and plain file; later wins",
			files: `["top.txt", { source = "other", destination = "/" }, { source = "static/sub", destination = "/" }]`, exclude: `[]`,
			want: []string{"top.txt -> /top.txt", "other/static/a.txt -> /static/a.txt", "other/static/x.txt -> /static/x.txt", "static/sub/c.bak -> /c.bak", "static/sub/deep/b.txt -> /deep/b.txt", "static/sub/deep/e.html -> /deep/e.html"},
		},
		{
			name:  "same guest path: later entry wins, first position kept",
			files: `["static/a.txt", "top.txt", { source = "other", destination = "/" }]`, exclude: `[]`,
			want: []string{"other/static/a.txt -> /static/a.txt", "top.txt -> /top.txt", "other/static/x.txt -> /static/x.txt"},
		},
		{name: "dotdot pattern", files: `["../*"]`, exclude: `[]`, wantErr: manifest.ErrOutsideApp},
		{name: "dotdot inside pattern", files: `["static/../../x"]`, exclude: `[]`, wantErr: manifest.ErrOutsideApp},
		{name: "dotdot placement", files: `[{ source = "../", destination = "/" }]`, exclude: `[]`, wantErr: manifest.ErrOutsideApp},
		{name: "placement of a file", files: `[{ source = "top.txt", destination = "/" }]`, exclude: `[]`, wantErr: manifest.ErrInvalidValue},
		{name: "placement missing", files: `[{ source = "nope", destination = "/" }]`, exclude: `[]`, wantErr: fs.ErrNotExist},
		{name: "bad glob", files: `["static/[a"]`, exclude: `[]`, wantErr: manifest.ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tree)
			app := filesApp(t, dir, tt.files, tt.exclude)
			got, err := app.ExpandFiles(&app.Components[0])
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, m := range got {
				rel, err := filepath.Rel(dir, m.Source)
				if err != nil || !filepath.IsAbs(m.Source) {
					t.Fatalf("source %q is not an absolute path under %q", m.Source, dir)
				}
				lines = append(lines, filepath.ToSlash(rel)+" -> "+m.Destination)
			}
			if !reflect.DeepEqual(lines, tt.want) {
				t.Errorf("got %q\nwant %q", lines, tt.want)
			}
		})
	}
}

func TestExpandFilesSymlinkOutside(t *testing.T) {
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret": "s"})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"static/ok.txt": "ok", "static/in.txt": "in"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "static", "leak.txt")); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	if err := os.Symlink(filepath.Join(dir, "static", "in.txt"), filepath.Join(dir, "static", "link-in.txt")); err != nil {
		t.Fatal(err)
	}
	app := filesApp(t, dir, `["static/*"]`, `[]`)
	if _, err := app.ExpandFiles(&app.Components[0]); !errors.Is(err, manifest.ErrOutsideApp) {
		t.Fatalf("err = %v, want ErrOutsideApp", err)
	}
	app = filesApp(t, dir, `["static/*"]`, `["static/leak.txt"]`)
	got, err := app.ExpandFiles(&app.Components[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("got %v, want in.txt, link-in.txt and ok.txt", got)
	}
}

func TestLoadResolvesAgainstManifestDir(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"app/bin/hello.wasm": "wasm-bytes", "app/static/a.txt": "a"})
	app := filesApp(t, filepath.Join(dir, "app"), `["static/*"]`, `[]`)
	t.Chdir(t.TempDir()) // the working directory must not matter
	if app.Dir != filepath.Join(dir, "app") {
		t.Errorf("Dir = %q", app.Dir)
	}
	c := &app.Components[0]
	p, err := app.SourcePath(c)
	if err != nil || p != filepath.Join(dir, "app", "bin", "hello.wasm") {
		t.Errorf("SourcePath = %q, %v", p, err)
	}
	data, err := app.ReadSource(c)
	if err != nil || string(data) != "wasm-bytes" {
		t.Errorf("ReadSource = %q, %v", data, err)
	}
	files, err := app.ExpandFiles(c)
	if err != nil || len(files) != 1 || files[0].Source != filepath.Join(dir, "app", "static", "a.txt") {
		t.Errorf("ExpandFiles = %v, %v", files, err)
	}
}

func TestSources(t *testing.T) {
	fsys := fstest.MapFS{
		"apps/one/spin.toml":       {Data: []byte(strings.NewReplacer("FILES", `["static/*", { source = "assets", destination = "/a" }]`, "EXCLUDE", "[]").Replace(filesManifest))},
		"apps/one/bin/hello.wasm":  {Data: []byte("from-fs")},
		"apps/one/static/x.txt":    {Data: []byte("x")},
		"apps/one/assets/y/z.txt":  {Data: []byte("z")},
		"apps/one/static/sub/no.t": {Data: []byte("-")},
	}
	app, err := manifest.LoadFS(fsys, "apps/one/spin.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &app.Components[0]
	if data, err := app.ReadSource(c); err != nil || string(data) != "from-fs" {
		t.Errorf("ReadSource from FS = %q, %v", data, err)
	}
	if _, err := app.SourcePath(c); !errors.Is(err, manifest.ErrNoBaseDir) {
		t.Errorf("SourcePath of an FS app: err = %v, want ErrNoBaseDir", err)
	}
	files, err := app.ExpandFiles(c)
	want := []manifest.FileMapping{{Source: "apps/one/static/x.txt", Destination: "/static/x.txt"}, {Source: "apps/one/assets/y/z.txt", Destination: "/a/y/z.txt"}}
	if err != nil || !reflect.DeepEqual(files, want) {
		t.Errorf("ExpandFiles from FS = %v, %v; want %v", files, err, want)
	}

	// Parse with Options.FS and Options.Dir, and with neither.
	text, _ := fs.ReadFile(fsys, "apps/one/spin.toml")
	sub, _ := fs.Sub(fsys, "apps/one")
	app, err = manifest.Parse(text, &manifest.Options{FS: sub})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := app.ReadSource(&app.Components[0]); err != nil || string(data) != "from-fs" {
		t.Errorf("ReadSource with Options.FS = %q, %v", data, err)
	}
	app, err = manifest.Parse(text, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.ReadSource(&app.Components[0]); !errors.Is(err, manifest.ErrNoBaseDir) {
		t.Errorf("ReadSource without a base: err = %v", err)
	}
	if _, err := app.ExpandFiles(&app.Components[0]); !errors.Is(err, manifest.ErrNoBaseDir) {
		t.Errorf("ExpandFiles without a base: err = %v", err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bin/hello.wasm": "from-dir"})
	app, err = manifest.Parse(text, &manifest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := app.ReadSource(&app.Components[0]); err != nil || string(data) != "from-dir" {
		t.Errorf("ReadSource with Options.Dir = %q, %v", data, err)
	}

	// A URL source is never downloaded; a missing file names the component.
	app.Components[0].Source = manifest.Source{URL: "https://example.com/x.wasm", Digest: "sha256:00"}
	if _, err := app.ReadSource(&app.Components[0]); !errors.Is(err, manifest.ErrRemoteSource) {
		t.Errorf("URL source: err = %v", err)
	}
	app.Components[0].Source = manifest.Source{Path: "missing.wasm"}
	if _, err := app.ReadSource(&app.Components[0]); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `"hello"`) {
		t.Errorf("missing source: err = %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := manifest.Load(filepath.Join(dir, "nope.toml"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := manifest.LoadFS(fstest.MapFS{}, "spin.toml", nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing FS file: %v", err)
	}
	p := filepath.Join(dir, "bad.toml")
	writeFiles(t, dir, map[string]string{"bad.toml": "spin_manifest_version = 3\n"})
	_, err := manifest.Load(p, nil)
	var e *manifest.Error
	if !errors.As(err, &e) || e.File != p || e.Line != 1 || e.Column != 25 || !errors.Is(err, manifest.ErrUnsupportedVersion) {
		t.Errorf("err = %v (%+v)", err, e)
	}
}
