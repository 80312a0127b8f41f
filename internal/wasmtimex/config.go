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

// errorText returns the message of err and frees it.
func errorText(err *C.wasmtime_error_t) string {
	var msg C.wasm_byte_vec_t
	C.wasmtime_error_message(err, &msg)
	C.wasmtime_error_delete(err)
	return byteVecString(&msg, false)
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

// Alloc is one allocation made by ReallocMany. Its layout matches shim.h's
// spx_alloc.
type Alloc struct {
	// Align and Size are realloc's alignment and size arguments.
	Align, Size uint32
	// Ptr is set to the pointer realloc returned.
	Ptr uint32
	// Copy makes the next Size bytes of ReallocMany's data the contents of
	// the block; without it the block is left as realloc returned it.
	Copy bool
	_    [3]byte // spx_alloc's tail padding, made explicit
}

// ErrOutOfBounds is returned by ReallocMany when realloc returns a block
// that does not lie inside linear memory.
var ErrOutOfBounds = errors.New("wasmtimex: realloc returned a block outside linear memory")

// ReallocMany calls the guest's realloc(0, 0, a.Align, a.Size) for each a
// in allocs, in order, checks that each block lies inside mem, and copies
// the contents of the blocks marked Copy from data (consecutively; len(data)
// must be their total size). It does in one call into C what len(allocs)
// calls of Func.Call and Memory.Data would. realloc must have the type
// (i32, i32, i32, i32) -> i32.
//
// It returns the memory's contents after the last call (see Memory.Data)
// and the number of allocations completed. On a failure of realloc (see
// Func.Call) or a block outside memory (ErrOutOfBounds, with allocs[done].Ptr
// set) it stops there.
func ReallocMany(cx Context, realloc Func, mem Memory, allocs []Alloc, data []byte) (view []byte, done int, err error) {
	c, st, err := checkStore(cx, realloc.f.store_id)
	if err != nil {
		return nil, 0, fmt.Errorf("wasmtimex: realloc: %w", err)
	}
	if *(*C.uint64_t)(unsafe.Pointer(&mem.m)) != realloc.f.store_id {
		return nil, 0, fmt.Errorf("wasmtimex: realloc: memory: %w", ErrWrongStore)
	}
	if realloc.params != 4 || realloc.results != 1 || !realloc.allI32 {
		return nil, 0, fmt.Errorf("wasmtimex: realloc has %d parameters and %d results (all i32: %t), want (i32, i32, i32, i32) -> i32", realloc.params, realloc.results, realloc.allI32)
	}
	total := 0
	for _, a := range allocs {
		if a.Copy {
			total += int(a.Size)
		}
	}
	if total != len(data) {
		return nil, 0, fmt.Errorf("wasmtimex: realloc: %d bytes of data for %d bytes of blocks", len(data), total)
	}
	var ap *C.spx_alloc
	if len(allocs) > 0 {
		ap = (*C.spx_alloc)(unsafe.Pointer(&allocs[0]))
	}
	var dp *C.uint8_t
	if len(data) > 0 {
		dp = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	st.active++
	r := C.spx_realloc_many(c, realloc.f, mem.m, ap, C.size_t(len(allocs)), dp, C.uintptr_t(st.h))
	st.active--
	runtime.KeepAlive(allocs)
	runtime.KeepAlive(data)
	runtime.KeepAlive(cx)
	done = int(r.done)
	if r.mem_size > 0 {
		view = unsafe.Slice((*byte)(unsafe.Pointer(r.mem)), int(r.mem_size))
	} else {
		view = []byte{}
	}
	if err := resultError(r.r); err != nil {
		return view, done, err
	}
	if done < len(allocs) {
		a := allocs[done]
		return view, done, fmt.Errorf("%w: realloc(0, 0, %d, %d) returned %#x, memory is %d bytes", ErrOutOfBounds, a.Align, a.Size, a.Ptr, len(view))
	}
	return view, done, nil
}

// ExportList is a fixed list of export names that
// InstancePre.InstantiateExports looks up in the same call into C as the
// instantiation. It is immutable and safe for concurrent use.
type ExportList struct {
	names []string
	buf   []byte
	lens  []C.size_t
}

// NewExportList returns the list of names (each valid UTF-8).
func NewExportList(names ...string) (*ExportList, error) {
	l := &ExportList{names: append([]string(nil), names...)}
	for _, n := range names {
		if err := validName(n); err != nil {
			return nil, fmt.Errorf("wasmtimex: export list: %w", err)
		}
		l.buf = append(l.buf, n...)
		l.lens = append(l.lens, C.size_t(len(n)))
	}
	return l, nil
}

// Len returns the number of names.
func (l *ExportList) Len() int { return len(l.names) }

// Export is one export found by InstantiateExports: a function, a memory,
// another kind of export, or nothing. It is a plain value, valid as long as
// its store.
type Export struct {
	e    C.spx_export
	name string
	pre  *InstancePre
}

// Func returns the export as a function (see Instance.Func for the errors;
// cx must be the store it was found in).
func (x Export) Func(cx Context) (Func, error) {
	if x.e.kind != C.WASMTIME_EXTERN_FUNC {
		return Func{}, fmt.Errorf("wasmtimex: export %q is not a function: %w", x.name, ErrNotFound)
	}
	f := exportAs[C.wasmtime_func_t](&x.e)
	c, _, err := checkStore(cx, f.store_id)
	if err != nil {
		return Func{}, fmt.Errorf("wasmtimex: export %q: %w", x.name, err)
	}
	return x.pre.funcInfo(c, f, x.name)
}

// Memory returns the export as a memory (ErrNotFound if it is not one).
func (x Export) Memory() (Memory, error) { return memoryFromExport(x.e, x.name) }

// InstantiateExports is Instantiate followed, in the same call into C, by
// the lookup of the exports in list: out[i] receives list's name i (out
// must have list.Len() elements). An export that does not exist is an
// Export whose Func and Memory methods return ErrNotFound.
func (p *InstancePre) InstantiateExports(s *Store, list *ExportList, out []Export) (Instance, error) {
	if len(out) != list.Len() {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %d exports for a list of %d", len(out), list.Len())
	}
	cx, st, err := s.context()
	if err != nil {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", err)
	}
	if s.ws.Engine != p.engine {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: store of another engine: %w", ErrWrongStore)
	}
	es := st.exports[:0] // a buffer in the store's state: no allocation
	if len(out) > len(st.exports) {
		es = make([]C.spx_export, 0, len(out))
	}
	es = es[:len(out)]
	var names *C.char
	var lens *C.size_t
	if len(list.buf) > 0 {
		names = (*C.char)(unsafe.Pointer(&list.buf[0]))
	}
	if len(list.lens) > 0 {
		lens = &list.lens[0]
	}
	var ep *C.spx_export
	if len(es) > 0 {
		ep = &es[0]
	}
	p.mu.RLock()
	if p.ptr == nil {
		p.mu.RUnlock()
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", ErrClosed)
	}
	st.active++
	r := C.spx_instantiate_exports(p.ptr, cx, C.uintptr_t(st.h), names, lens, C.size_t(len(es)), ep)
	st.active--
	p.mu.RUnlock()
	runtime.KeepAlive(s)
	runtime.KeepAlive(list)
	if err := resultError(r); err != nil {
		return Instance{}, fmt.Errorf("wasmtimex: instantiate: %w", err)
	}
	if st.id == 0 {
		st.id = uint64(r.inst.store_id)
	}
	for i := range es {
		out[i] = Export{e: es[i], name: list.names[i], pre: p}
	}
	return Instance{inst: r.inst, pre: p}, nil
}
