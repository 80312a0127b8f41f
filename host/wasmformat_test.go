package host

import (
	"errors"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/internal/testwasm"
)

// TestCompileRejectsUnsupportedWasm checks that a WebAssembly component or
// a file that is not WebAssembly fails Compile with one line that names
// the file and says what it is, matching the sentinels.
func TestCompileRejectsUnsupportedWasm(t *testing.T) {
	e := testEngine(t, nil)
	component := []byte("\x00asm\x0d\x00\x01\x00\x07\x10\x01\x41\x02")
	tests := []struct {
		name      string
		wasm      []byte
		component bool
		want      string
	}{
		{"component", component, true, "app.wasm is a WebAssembly component (Spin 2+ SDK); Spindle runs Spin 1.x core modules"},
		{"component header only", component[:8], true, "is a WebAssembly component"},
		{"text format", []byte("(module\n  (func))"), false, `app.wasm is not WebAssembly: it looks like WebAssembly text (starts with "(module\n  (f"); compile it to a binary module`},
		{"html", []byte("<!DOCTYPE html><html><body>Not Found</body></html>"), false, `app.wasm is not WebAssembly: it looks like HTML (starts with "<!DOCTYPE ht")`},
		{"git lfs pointer", []byte("version https://git-lfs.github.com/spec/v1\noid sha256:abc\n"), false, "looks like a Git LFS pointer"},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"), false, "looks like a native executable (ELF)"},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), false, "looks like a gzip archive"},
		{"other", []byte("hello"), false, `app.wasm is not WebAssembly (starts with "hello")`},
		{"short", []byte("\x00as"), false, `app.wasm is not WebAssembly (starts with "\x00as")`},
		{"other version", []byte("\x00asm\x02\x00\x00\x00"), false, "app.wasm is WebAssembly binary version 0x00000002; Spindle runs Spin 1.x core modules (version 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Compile(t.Context(), Config{ID: "api", Source: "app.wasm", Wasm: tt.wasm})
			if err == nil {
				t.Fatal("Compile succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", msg, tt.want)
			}
			if !strings.Contains(msg, `component "api"`) {
				t.Errorf("error = %q, want the component id", msg)
			}
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("error spans lines: %q", msg)
			}
			if !errors.Is(err, ErrUnsupportedWasm) {
				t.Errorf("error does not match ErrUnsupportedWasm: %v", err)
			}
			if got := errors.Is(err, ErrComponent); got != tt.component {
				t.Errorf("errors.Is(err, ErrComponent) = %v, want %v", got, tt.component)
			}
		})
	}
	t.Run("core module", func(t *testing.T) {
		m, err := e.Compile(t.Context(), Config{ID: "ok", Source: "ok.wasm", Wasm: testwasm.Wat(t, "(module)")})
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	})
	t.Run("no source", func(t *testing.T) {
		_, err := e.Compile(t.Context(), Config{ID: "api", Wasm: component})
		if want := `host: compile component "api": its wasm is a WebAssembly component`; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error = %v, want prefix %q", err, want)
		}
	})
}
