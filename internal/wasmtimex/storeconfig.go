package wasmtimex

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/cgo"
	"strings"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// ErrNUL is returned by NewStoreConfig for a WASI argument, environment
// entry or directory that contains a NUL byte, which C strings cannot carry.
var ErrNUL = errors.New("wasmtimex: string contains a NUL byte")

// StoreConfig is what NewStoreConfig sets up in a new store, all in one
// call into wasmtime. The zero value sets up nothing.
type StoreConfig struct {
	// EpochDeadline, if non-zero, is the store's first epoch deadline in
	// epochs from now (as wasmtime.Store.SetEpochDeadline).
	EpochDeadline uint64
	// OnEpoch, if non-nil, is the store's epoch deadline callback, with
	// the semantics of SetEpochDeadlineCallback.
	OnEpoch func() (delta uint64, err error)
	// WASI, if non-nil, gives the store a WASI context.
	WASI *WASIConfig
}

// WASIConfig is a store's WASI context. It is built in C with no handle or
// finalizer of its own: the output writers are reached through the store,
// so setting up WASI costs no more than one call.
type WASIConfig struct {
	// Args is the guest's argv.
	Args []string
	// EnvNames and EnvValues are the guest's environment, pairwise; they
	// must have the same length.
	EnvNames, EnvValues []string
	// Stdin is the guest's standard input; nil means empty.
	Stdin []byte
	// Stdout and Stderr receive the guest's output; nil discards it.
	// wasmtime may call them from a thread of its own, so on another
	// goroutine than the one that entered the guest, but the guest's write
	// waits for them: they never run concurrently with that goroutine's
	// call, nor after it returns. A writer that fails (or panics) without
	// writing anything, or reports a count outside [0, len(p)], makes the
	// guest's write fail with EIO.
	Stdout, Stderr io.Writer
	// Preopens are host directories the guest may read (read-only).
	Preopens []Preopen
}

// Preopen is a host directory made visible to the guest, read-only.
type Preopen struct {
	HostDir, GuestDir string
}

// NewStoreConfig is NewStore followed by the set-up cfg describes (nil:
// none). A set-up failure (a string that is not valid UTF-8 or holds a
// NUL, a directory that cannot be opened) closes the store and returns
// the error.
func NewStoreConfig(engine *wasmtime.Engine, data any, cfg *StoreConfig) (*Store, error) {
	s, err := NewStore(engine, data)
	if err != nil || cfg == nil {
		return s, err
	}
	if err := s.configure(cfg); err != nil {
		s.Close()
		return nil, fmt.Errorf("wasmtimex: new store: %w", err)
	}
	return s, nil
}

func (s *Store) configure(cfg *StoreConfig) error {
	c := C.spx_store_config{
		epoch_deadline: C.uint64_t(cfg.EpochDeadline),
		handle:         C.uintptr_t(s.st.h),
		epoch_callback: C.bool(cfg.OnEpoch != nil),
	}
	s.st.onEpoch = cfg.OnEpoch
	var strs []byte
	var stdin *C.char
	if w := cfg.WASI; w != nil {
		if len(w.EnvNames) != len(w.EnvValues) {
			return fmt.Errorf("WASI environment: %d names, %d values", len(w.EnvNames), len(w.EnvValues))
		}
		var err error
		if strs, err = wasiStrings(w); err != nil {
			return err
		}
		c.wasi = true
		c.nargs, c.nenv, c.npreopens = C.size_t(len(w.Args)), C.size_t(len(w.EnvNames)), C.size_t(len(w.Preopens))
		if len(w.Stdin) > 0 {
			stdin, c.stdin_len = (*C.char)(unsafe.Pointer(&w.Stdin[0])), C.size_t(len(w.Stdin))
		}
		s.st.stdout, s.st.stderr = w.Stdout, w.Stderr
		c.stdout_custom, c.stderr_custom = C.bool(w.Stdout != nil), C.bool(w.Stderr != nil)
	}
	var strsp *C.char
	if len(strs) > 0 {
		strsp = (*C.char)(unsafe.Pointer(&strs[0]))
	}
	r := C.spx_store_setup(storePtr(s.ws), c, strsp, stdin)
	runtime.KeepAlive(strs)
	runtime.KeepAlive(cfg)
	runtime.KeepAlive(s)
	switch r.code {
	case C.SPX_SETUP_OK:
		return nil
	case C.SPX_SETUP_NOMEM:
		return errors.New("WASI set-up: out of memory")
	case C.SPX_SETUP_ARGS:
		return errors.New("WASI argument is not valid UTF-8")
	case C.SPX_SETUP_ENV:
		return errors.New("WASI environment is not valid UTF-8")
	case C.SPX_SETUP_PREOPEN:
		p := cfg.WASI.Preopens[r.index]
		return fmt.Errorf("cannot preopen directory %q at %q (missing, not a directory, not readable, or not UTF-8)", p.HostDir, p.GuestDir)
	default:
		return fmt.Errorf("WASI set-up: %s", errorText(r.err))
	}
}

// wasiStrings lays out w's strings as shim.c's spx_store_config expects:
// NUL-terminated, args, then name/value pairs, then host/guest pairs.
func wasiStrings(w *WASIConfig) ([]byte, error) {
	n := 0
	for _, list := range [][]string{w.Args, w.EnvNames, w.EnvValues} {
		for _, v := range list {
			n += len(v) + 1
		}
	}
	for _, p := range w.Preopens {
		n += len(p.HostDir) + len(p.GuestDir) + 2
	}
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, 0, n)
	add := func(what, v string) error {
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("WASI %s %q: %w", what, v, ErrNUL)
		}
		b = append(append(b, v...), 0)
		return nil
	}
	for _, a := range w.Args {
		if err := add("argument", a); err != nil {
			return nil, err
		}
	}
	for i, k := range w.EnvNames {
		if err := errors.Join(add("environment name", k), add("environment value", w.EnvValues[i])); err != nil {
			return nil, err
		}
	}
	for _, p := range w.Preopens {
		if err := errors.Join(add("directory", p.HostDir), add("guest directory", p.GuestDir)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// eio is returned to wasmtime (as a negated OS error code) when a WASI
// output writer fails.
const eio = 5

//export spxStdioWrite
func spxStdioWrite(h C.uintptr_t, stream C.int, buf *C.uchar, n C.size_t) (ret C.ptrdiff_t) {
	defer func() {
		if recover() != nil {
			ret = -eio
		}
	}()
	st, ok := cgo.Handle(h).Value().(*storeState)
	if !ok {
		return -eio
	}
	w := st.stdout
	if stream != 1 {
		w = st.stderr
	}
	if n == 0 || w == nil {
		return C.ptrdiff_t(n)
	}
	written, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)))
	if written < 0 || written > int(n) {
		return -eio // a broken io.Writer; wasmtime must never see it
	}
	if err != nil && written == 0 {
		return -eio
	}
	return C.ptrdiff_t(written)
}
