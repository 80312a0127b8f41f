package wasmtimex_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// WASI defined by wasmtime-go works through InstancePre in a wasmtimex
// Store configured with wasmtime-go's SetWasi; proc_exit is an *ExitError.
func TestWASIThroughInstancePre(t *testing.T) {
	e := newEngine(t, smallPool(), false)
	pre := newPre(t, e, `(module
	  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
	  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
	  (memory (export "memory") 1)
	  (data (i32.const 8) "\10\00\00\00\06\00\00\00")  ;; iovec {ptr 16, len 6}
	  (data (i32.const 16) "hello\n")
	  (func (export "write") (result i32)
	    (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 32)))
	  (func (export "exit") (param i32) (call $exit (local.get 0))))`,
		func(l *wasmtime.Linker) {
			if err := l.DefineWasi(); err != nil {
				t.Fatal(err)
			}
		})
	out := filepath.Join(t.TempDir(), "stdout")
	s := newStore(t, e, nil)
	wc := wasmtime.NewWasiConfig()
	if err := wc.SetStdoutFile(out); err != nil {
		t.Fatal(err)
	}
	s.Wasmtime().SetWasi(wc)
	inst := instantiate(t, pre, s)
	v := make([]wasmtimex.Val, 1)
	if err := mustFunc(t, s, inst, "write").Call(s, v); err != nil || v[0].I32() != 0 {
		t.Fatalf("fd_write = %d, %v", v[0].I32(), err)
	}
	v[0] = wasmtimex.ValI32(3)
	err := mustFunc(t, s, inst, "exit").Call(s, v)
	var ee *wasmtimex.ExitError
	if !errors.As(err, &ee) || ee.Status != 3 {
		t.Fatalf("exit: %v, want ExitError 3", err)
	}
	s.Close()
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello\n" {
		t.Fatalf("stdout = %q", got)
	}
}
