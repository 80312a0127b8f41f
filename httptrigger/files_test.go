package httptrigger_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/internal/testwasm"
	"github.com/spindlekv/spindle/manifest"
)

// catWAT is a WAGI program that prints the file named by its first
// argument's query (argv[1], e.g. "static/a.txt", relative to the
// preopened "/"), or "missing" when it cannot open it.
const catWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "Content-Type: text/plain\n\nmissing")
  (func $write (param $p i32) (param $n i32)
    (i32.store (i32.const 200) (local.get $p))
    (i32.store (i32.const 204) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208))))
  (func (export "_start")
    (local $arg i32) (local $len i32) (local $n i32)
    (call $write (i32.const 0) (i32.const 26))
    (drop (call $args_sizes_get (i32.const 100) (i32.const 104)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    ;; argv[1] and its length (up to the NUL)
    (local.set $arg (i32.load (i32.const 1028)))
    (local.set $len (i32.const 0))
    (block $end (loop $scan
      (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $arg) (local.get $len)))))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (br $scan)))
    (if (call $path_open (i32.const 3) (i32.const 0) (local.get $arg) (local.get $len) (i32.const 0)
          (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 300))
      (then (call $write (i32.const 26) (i32.const 7)) (return)))
    (block $eof (loop $read
      (i32.store (i32.const 216) (i32.const 65536))
      (i32.store (i32.const 220) (i32.const 65536))
      (drop (call $fd_read (i32.load (i32.const 300)) (i32.const 216) (i32.const 1) (i32.const 224)))
      (local.set $n (i32.load (i32.const 224)))
      (br_if $eof (i32.eqz (local.get $n)))
      (call $write (i32.const 65536) (local.get $n))
      (br $read)))))`

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"static/a.txt":      "file a",
		"static/sub/b.txt":  "file b",
		"static/secret.txt": "secret",
		"assets/c.txt":      "file c",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "guest.wasm"), testwasm.Wat(t, catWAT), 0o644); err != nil {
		t.Fatal(err)
	}
	toml := v1App("/", "/...", `files = ["static/**/*", { source = "assets", destination = "/moved" }]
exclude_files = ["static/secret.txt"]`) + "executor = { type = \"wagi\" }\n"
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := manifest.Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, app, nil, nil)
	tests := []struct{ file, want string }{
		{file: "static/a.txt", want: "file a"},
		{file: "static/sub/b.txt", want: "file b"},
		{file: "moved/c.txt", want: "file c"},
		{file: "static/secret.txt", want: "missing"},
		{file: "spin.toml", want: "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			w := serve(h, httptest.NewRequest("GET", "/?"+tt.file, nil))
			if w.Code != 200 || w.Body.String() != tt.want {
				t.Errorf("status %d body %q, want 200 %q", w.Code, w.Body, tt.want)
			}
		})
	}
}

// filesApp writes files (name -> content) and a catWAT app with the given
// files line into a new directory and loads it.
func filesApp(t *testing.T, files map[string]string, filesLine string) *manifest.App {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "guest.wasm"), testwasm.Wat(t, catWAT), 0o644); err != nil {
		t.Fatal(err)
	}
	toml := v1App("/", "/...", filesLine) + "executor = { type = \"wagi\" }\n"
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := manifest.Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// cat asks h's catWAT guest for file.
func cat(h http.Handler, file string) string {
	return serve(h, httptest.NewRequest("GET", "/?"+file, nil)).Body.String()
}

// TestFilesSnapshot: the guest sees the files as they were at New, as
// Spin does (it copies them); a file changed in place afterwards, or
// added, is not seen.
func TestFilesSnapshot(t *testing.T) {
	app := filesApp(t, map[string]string{"static/a.txt": "before"}, `files = ["static/*"]`)
	h := newHandler(t, app, nil, nil)
	if got := cat(h, "static/a.txt"); got != "before" {
		t.Fatalf("got %q, want %q", got, "before")
	}
	if err := os.WriteFile(filepath.Join(app.Dir, "static", "a.txt"), []byte("after"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app.Dir, "static", "new.txt"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := cat(h, "static/a.txt"); got != "before" {
		t.Errorf("after changing the file: got %q, want the snapshot %q", got, "before")
	}
	if got := cat(h, "static/new.txt"); got != "missing" {
		t.Errorf("file added after New: got %q, want missing", got)
	}
}

// TestFilesPrivate: the state directory (.spin), Options.PrivateDirs and
// snapshot directories are never exposed: globs skip them and a source
// in one fails New with ErrPrivateFiles.
func TestFilesPrivate(t *testing.T) {
	files := map[string]string{
		".spin/sqlite_key_value.db": "other component's data",
		"cache/module.bin":          "compiled code",
		"static/a.txt":              "file a",
	}
	tests := []struct {
		name, files string
		private     []string
		want        map[string]string // file -> what the guest reads
		err         error
	}{
		{name: "state dir glob", files: `files = [".spin/*"]`, want: map[string]string{".spin/sqlite_key_value.db": "missing"}},
		{name: "everything glob", files: `files = ["**/*"]`, want: map[string]string{
			".spin/sqlite_key_value.db": "missing", "static/a.txt": "file a", "cache/module.bin": "compiled code",
		}},
		{name: "private dirs option", files: `files = ["**/*"]`, private: []string{"cache"}, want: map[string]string{
			"cache/module.bin": "missing", "static/a.txt": "file a",
		}},
		{name: "app dir as source", files: `files = [{ source = ".", destination = "/" }]`, want: map[string]string{
			".spin/sqlite_key_value.db": "missing", "static/a.txt": "file a",
		}},
		{name: "state dir as source", files: `files = [{ source = ".spin", destination = "/s" }]`, err: httptrigger.ErrPrivateFiles},
		{name: "private dir as source", files: `files = [{ source = "cache", destination = "/c" }]`, private: []string{"cache"}, err: httptrigger.ErrPrivateFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := filesApp(t, files, tt.files)
			var private []string
			for _, p := range tt.private {
				private = append(private, filepath.Join(app.Dir, p))
			}
			opts := &httptrigger.Options{Logger: quietLogger(), PrivateDirs: private}
			h, err := httptrigger.New(t.Context(), app, newEngine(t), nil, opts)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("New: %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close(t.Context())
			for file, want := range tt.want {
				if got := cat(h, file); got != want {
					t.Errorf("%s: got %q, want %q", file, got, want)
				}
			}
		})
	}
}

// TestFilesDirReclaimed: the snapshot lives under Options.FilesDir, in a
// directory Close removes; New removes the snapshot directories there
// whose lock no process holds (left by a killed process) and keeps
// those of live processes.
func TestFilesDirReclaimed(t *testing.T) {
	filesDir := t.TempDir()
	mk := func(name string) string {
		d := filepath.Join(filesDir, name)
		if err := os.MkdirAll(filepath.Join(d, "component-1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "lock"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return d
	}
	dead := mk("spindle-files-dead")
	live := mk("spindle-files-live")
	unlock := holdLock(t, filepath.Join(live, "lock"))
	defer unlock()

	app := filesApp(t, map[string]string{"static/a.txt": "file a"}, `files = ["static/*"]`)
	h, err := httptrigger.New(t.Context(), app, newEngine(t), nil, &httptrigger.Options{Logger: quietLogger(), FilesDir: filesDir})
	if err != nil {
		t.Fatal(err)
	}
	if got := cat(h, "static/a.txt"); got != "file a" {
		t.Errorf("got %q", got)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("stale snapshot %s not removed (%v)", dead, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("live snapshot removed: %v", err)
	}
	ours, _ := filepath.Glob(filepath.Join(filesDir, "spindle-files-*"))
	if len(ours) != 2 {
		t.Errorf("snapshot directories %v, want the live one and the handler's", ours)
	}
	if err := h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(filesDir, "spindle-files-*"))
	if len(left) != 1 || left[0] != live {
		t.Errorf("after Close: %v, want only %s", left, live)
	}
}
