package host

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// trapWAT exports boom, which traps.
const trapWAT = `(module (func (export "boom") unreachable))`

// BenchmarkTrap measures one call that traps, on a fresh instance each
// time (a request that fails). Compare runs with and without
// RUST_BACKTRACE=1 in the environment.
func BenchmarkTrap(b *testing.B) {
	e := testEngine(b, nil)
	c := compile(b, e, trapWAT, Config{})
	for b.Loop() {
		i, err := c.Instantiate(b.Context(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := i.Call("boom"); err == nil {
			b.Fatal("no trap")
		}
		i.Close()
	}
}

const backtraceChildEnv = "SPINDLE_HOST_TEST_BACKTRACE_CHILD"

// TestErrorsIndependentOfRustBacktrace runs, in child processes with and
// without RUST_BACKTRACE and RUST_LIB_BACKTRACE, a trap, a compile error
// and an error straight from wasmtime-go after NewEngine: the texts must
// be the same everywhere and carry no native backtrace. (A native backtrace
// in wasmtime-go's own error also shows that wasmtime still captures one
// per error, which is what makes traps slower.)
func TestErrorsIndependentOfRustBacktrace(t *testing.T) {
	if os.Getenv(backtraceChildEnv) == "1" {
		printBacktraceProbe(t)
		return
	}
	envs := [][]string{
		{},
		{"RUST_BACKTRACE=1"},
		{"RUST_BACKTRACE=full"},
		{"RUST_LIB_BACKTRACE=1"},
	}
	var want string
	for k, env := range envs {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestErrorsIndependentOfRustBacktrace$", "-test.count=1", "-test.v")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "RUST_BACKTRACE=") && !strings.HasPrefix(kv, "RUST_LIB_BACKTRACE=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(append(cmd.Env, backtraceChildEnv+"=1"), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child %q: %v\n%s", env, err, out)
		}
		got := probeLines(string(out))
		if strings.Contains(got, "backtrace:\n   0:") || strings.Contains(got, "Stack backtrace") {
			t.Errorf("with %q errors carry a native backtrace:\n%s", env, got)
		}
		if k == 0 {
			want = got
		} else if got != want {
			t.Errorf("with %q the errors read\n%s\nwithout:\n%s", env, got, want)
		}
	}
}

// printBacktraceProbe prints the texts the parent test compares, one
// "probe:" line each (newlines escaped).
func printBacktraceProbe(t *testing.T) {
	e := testEngine(t, nil)
	c := compile(t, e, trapWAT, Config{})
	_, trapErr := c.Call(t.Context(), nil, "boom")
	_, compileErr := e.Compile(t.Context(), Config{ID: "bad", Wasm: []byte("\x00asm\x01\x00\x00\x00garbage")})
	_, rawErr := wasmtime.NewModule(e.Wasmtime(), []byte("\x00asm\x01\x00\x00\x00garbage"))
	_, watErr := wasmtime.Wat2Wasm("(module")
	for _, err := range []error{trapErr, compileErr, rawErr, watErr} {
		if err == nil {
			err = errors.New("<nil>")
		}
		fmt.Printf("probe: %q\n", err.Error())
	}
}

func probeLines(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(l, "probe: "); ok {
			b.WriteString(strings.ReplaceAll(s, `\n`, "\n") + "\n")
		}
	}
	return b.String()
}

// TestStripBacktrace checks the fallback for processes whose first wasmtime
// error came before NewEngine: the native backtrace is cut from the text,
// the wasm backtrace and the cause stay.
func TestStripBacktrace(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", "wasm trap: unreachable", "wasm trap: unreachable"},
		{
			"trap",
			"error while executing at wasm backtrace:\n    0:     0x21 - <unknown>!<wasm function 0>\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed\n\nStack backtrace:\n   0: <unknown>\n   1: <unknown>",
			"error while executing at wasm backtrace:\n    0:     0x21 - <unknown>!<wasm function 0>\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stripBacktrace(tt.in); got != tt.want {
				t.Errorf("stripBacktrace = %q, want %q", got, tt.want)
			}
			raw := errors.New(tt.in)
			if err := cleanError(raw); err.Error() != tt.want || !errors.Is(err, raw) {
				t.Errorf("cleanError = %q (unwraps to the original: %v)", err, errors.Is(err, raw))
			}
		})
	}
}
