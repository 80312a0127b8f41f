package host

import (
	"os"
	"strings"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Rust's standard library captures a native backtrace in every error
// wasmtime creates (each trap, each failed compile) when RUST_BACKTRACE or
// RUST_LIB_BACKTRACE is set to anything but "0", and prints it in the
// error's text. With RUST_BACKTRACE=1 a trap cost about 40% more and the
// first one symbolised the whole binary (+26 MB, 0.1-0.25 s). wasmtime's C
// API has no setting for it, but std decides once per process, on the
// first capture, and caches the answer. So the first NewEngine makes that
// first capture happen with RUST_LIB_BACKTRACE=0 (which only governs
// library captures, not panic messages) and then puts the environment
// back as it was.
var disableBacktracesOnce sync.Once

// disableRustBacktraces makes std's cached choice "no library backtraces"
// unless some wasmtime error was already created in this process.
// Changing the environment is process-wide, so it happens once, before
// this package's first call into wasmtime, and is undone at once.
func disableRustBacktraces() {
	disableBacktracesOnce.Do(func() {
		const name = "RUST_LIB_BACKTRACE"
		old, had := os.LookupEnv(name)
		if err := os.Setenv(name, "0"); err != nil {
			return
		}
		// A parse error makes wasmtime create an error, whose backtrace
		// capture reads the variable and caches the decision.
		_, _ = wasmtime.Wat2Wasm("(")
		if had {
			os.Setenv(name, old)
		} else {
			os.Unsetenv(name)
		}
	})
}

// backtraceMarker starts the native backtrace in a wasmtime error's text.
const backtraceMarker = "\n\nStack backtrace:"

// stripBacktrace removes a native backtrace from a wasmtime error text, for
// processes where one was captured before the first NewEngine.
func stripBacktrace(msg string) string {
	if i := strings.Index(msg, backtraceMarker); i >= 0 {
		return msg[:i]
	}
	return msg
}

// wasmtimeError is an error from wasmtime-go with the native backtrace
// removed from its text; it unwraps to the original.
type wasmtimeError struct{ err error }

func (e *wasmtimeError) Error() string { return stripBacktrace(e.err.Error()) }
func (e *wasmtimeError) Unwrap() error { return e.err }

// cleanError wraps err, from wasmtime-go, so its text has no native
// backtrace.
func cleanError(err error) error {
	if err == nil || !strings.Contains(err.Error(), backtraceMarker) {
		return err
	}
	return &wasmtimeError{err}
}
