package testwasm

import (
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Wat compiles WebAssembly text to binary with wasmtime's parser, failing
// the test on a syntax error.
func Wat(tb testing.TB, wat string) []byte {
	tb.Helper()
	wasm, err := wasmtime.Wat2Wasm(wat)
	if err != nil {
		tb.Fatalf("compile WAT: %v", err)
	}
	return wasm
}
