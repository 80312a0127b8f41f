package host

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap them together with
// the component id and the failing export or import; match them with
// errors.Is.
var (
	// ErrTrap reports that a guest failed: a wasm trap, an out-of-bounds
	// pointer or length, a lying canonical_abi_realloc, invalid UTF-8 in a
	// string the host reads, the memory limit, a call to an import Spindle
	// does not implement, a non-zero proc_exit (*ExitError), or an expired
	// deadline or cancelled context (the error then also matches
	// context.DeadlineExceeded or context.Canceled). Instantiate also
	// reports a full instance pool with it. The engine and other instances
	// are unaffected.
	ErrTrap = errors.New("host: trap")
	// ErrMissingExport reports that a module does not export a function the
	// caller asked for.
	ErrMissingExport = errors.New("host: missing export")
	// ErrUnsupportedWasm reports that Engine.Compile was given bytes that
	// are not a WebAssembly core module: a WebAssembly component (which
	// also matches ErrComponent), another binary version, or a file that
	// is not WebAssembly at all. The message names the file (Config.Source)
	// and says what it looks like.
	ErrUnsupportedWasm = errors.New("host: unsupported wasm")
	// ErrComponent reports a WebAssembly component (what Spin 2+ SDKs
	// build) given to Engine.Compile, which runs Spin 1.x core modules
	// only. It comes together with ErrUnsupportedWasm.
	ErrComponent = errors.New("host: WebAssembly component")
	// ErrClosed is returned by methods of a closed Engine, Module or
	// Instance.
	ErrClosed = errors.New("host: closed")
)

// ExitError reports that the guest called WASI proc_exit with a non-zero
// status. It matches ErrTrap. (proc_exit(0) ends a call successfully.)
type ExitError struct {
	// Module is the id (Config.ID) of the module that exited.
	Module string
	// Status is the exit status the guest passed to proc_exit.
	Status int

	cause error
}

// Error implements error.
func (e *ExitError) Error() string {
	return fmt.Sprintf("host: component %q exited with status %d", e.Module, e.Status)
}

// Unwrap makes the error match ErrTrap and the underlying wasmtime error.
func (e *ExitError) Unwrap() []error { return []error{ErrTrap, e.cause} }
