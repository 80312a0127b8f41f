package host

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The WebAssembly binary preamble: the magic, then a 4-byte version
// (layer in its upper half). A core module has version 1, layer 0; a
// component (the component-model binary format) has version 0x0d, layer 1.
var wasmMagic = []byte("\x00asm")

const (
	wasmCoreVersion      = 0x00000001
	wasmComponentVersion = 0x0001000d
)

// unsupportedWasm is the error for bytes that are not a core module. It
// matches ErrUnsupportedWasm, and ErrComponent for a component.
type unsupportedWasm struct {
	msg       string
	component bool
}

func (e *unsupportedWasm) Error() string { return e.msg }

func (e *unsupportedWasm) Unwrap() []error {
	if e.component {
		return []error{ErrUnsupportedWasm, ErrComponent}
	}
	return []error{ErrUnsupportedWasm}
}

// checkWasm reports, in one line, why wasm cannot be a core module when its
// preamble already says so; source names the file ("" for unknown). A
// core-module preamble returns nil and leaves the rest to wasmtime.
func checkWasm(source string, wasm []byte) error {
	name := source
	if name == "" {
		name = "its wasm"
	}
	if len(wasm) >= 8 && bytes.Equal(wasm[:4], wasmMagic) {
		switch v := binary.LittleEndian.Uint32(wasm[4:8]); v {
		case wasmCoreVersion:
			return nil
		case wasmComponentVersion:
			return &unsupportedWasm{msg: name + " is a WebAssembly component (Spin 2+ SDK); Spindle runs Spin 1.x core modules", component: true}
		default:
			return &unsupportedWasm{msg: fmt.Sprintf("%s is WebAssembly binary version %#08x; Spindle runs Spin 1.x core modules (version 1)", name, v)}
		}
	}
	head := wasm[:min(len(wasm), 12)]
	if kind, hint := guessFormat(wasm); kind != "" {
		return &unsupportedWasm{msg: fmt.Sprintf("%s is not WebAssembly: it looks like %s (starts with %q)%s", name, kind, head, hint)}
	}
	return &unsupportedWasm{msg: fmt.Sprintf("%s is not WebAssembly (starts with %q)", name, head)}
}

// guessFormat names a few formats that end up where a .wasm was expected
// (kind "" if none fits), with a hint on what to do ("" or "; ...").
func guessFormat(b []byte) (kind, hint string) {
	text := bytes.TrimLeft(b, " \t\r\n")
	switch {
	case bytes.HasPrefix(text, []byte("(module")), bytes.HasPrefix(text, []byte("(component")), bytes.HasPrefix(text, []byte(";;")):
		return "WebAssembly text", "; compile it to a binary module"
	case bytes.HasPrefix(text, []byte("<")):
		return "HTML", ""
	case bytes.HasPrefix(b, []byte("version https://git-lfs")):
		return "a Git LFS pointer", "; fetch the file with git lfs pull"
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "a native executable (ELF)", ""
	case bytes.HasPrefix(b, []byte("\x1f\x8b")):
		return "a gzip archive", ""
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "a zip archive", ""
	}
	return "", ""
}
