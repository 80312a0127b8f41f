package httptrigger_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

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
