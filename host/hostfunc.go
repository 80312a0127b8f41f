package host

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/abi"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// guest is what a host function needs from the calling instance.
type guest interface {
	// memory returns the current view of linear memory; it is invalid
	// after realloc (which runs guest code that may grow memory).
	memory() []byte
	// realloc calls canonical_abi_realloc(0, 0, align, size) and checks
	// that the returned range lies inside memory.
	realloc(align, size uint32) (uint32, error)
}

// hostFunc is an import Spindle implements. Every one of them takes only
// i32 parameters and returns nothing (results go through a return area).
type hostFunc struct {
	name   string // "module.name"
	params int
	fn     func(st *instanceState, g guest, args []uint64) error
}

// matches reports whether ft is the core signature of hf.
func (hf *hostFunc) matches(ft *wasmtime.FuncType) bool {
	ps := ft.Params()
	if len(ps) != hf.params || len(ft.Results()) != 0 {
		return false
	}
	for _, p := range ps {
		if p.Kind() != wasmtime.KindI32 {
			return false
		}
	}
	return true
}

// lookupHostFunc returns Spindle's implementation of the import
// module.name, if any.
func lookupHostFunc(full string) (*hostFunc, bool) {
	var hf hostFunc
	switch full {
	case "key-value.open":
		hf = hostFunc{params: 3, fn: kvOpen}
	case "key-value.get":
		hf = hostFunc{params: 4, fn: kvGet}
	case "key-value.set":
		hf = hostFunc{params: 6, fn: kvSet}
	case "key-value.delete":
		hf = hostFunc{params: 4, fn: kvDelete}
	case "key-value.exists":
		hf = hostFunc{params: 4, fn: kvExists}
	case "key-value.get-keys":
		hf = hostFunc{params: 2, fn: kvGetKeys}
	case "key-value.close":
		hf = hostFunc{params: 1, fn: kvClose}
	case "spin-config.get-config":
		hf = hostFunc{params: 3, fn: getConfig}
	default:
		return nil, false
	}
	hf.name = full
	return &hf, true
}

// run calls hf, turning a panic into an error, and records the error so
// the failed guest call reports it.
func (st *instanceState) run(hf *hostFunc, g guest, args []uint64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			st.comp.e.log.Error("host: import panicked", "component", st.comp.id, "import", hf.name,
				"panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("import %s panicked: %v", hf.name, r)
		}
		if err != nil {
			if st.hostErr == nil {
				st.hostErr = fmt.Errorf("import %s: %w", hf.name, err)
			}
		}
	}()
	return hf.fn(st, g, args)
}

// define links hf into l as an unchecked host function.
func (hf *hostFunc) define(l *wasmtime.Linker, module, name string) error {
	params := make([]wasmtime.ValKind, hf.params)
	for k := range params {
		params[k] = wasmtime.KindI32
	}
	return wasmtimex.DefineFuncUnchecked(l, module, name, params, nil, func(c *wasmtimex.Caller, vals []wasmtimex.Val) error {
		st, ok := c.Data().(*instanceState)
		if !ok {
			return errors.New("host: store without Spindle state")
		}
		// The outermost host call uses buffers kept in the state (no
		// allocation); a host call nested inside it (through a guest
		// realloc that calls an import) gets its own.
		g, args := &st.guest, st.args[:len(vals)]
		if st.depth > 0 {
			g, args = &callerGuest{st: st}, make([]uint64, len(vals))
		}
		st.depth++
		defer func() { st.depth-- }()
		g.c, g.view = c, nil
		if v, ok := c.MemoryView(); ok && st.hasMem {
			g.view = v // the instance's memory, fetched by the trampoline
		}
		for k, v := range vals {
			args[k] = uint64(v.U32())
		}
		err := st.run(hf, g, args)
		g.c, g.view = nil, nil
		return err
	})
}

// callerGuest implements guest inside a host function.
type callerGuest struct {
	c  *wasmtimex.Caller
	st *instanceState
	// vals holds realloc's arguments and result; a separate allocation
	// without Go pointers, as cgo requires of memory passed to C.
	vals *[4]wasmtimex.Val
	// view caches linear memory until the next call into the guest.
	view []byte
}

func (g *callerGuest) memory() []byte {
	if g.view != nil {
		return g.view
	}
	m, ok := g.st.mem, g.st.hasMem
	if !ok {
		var err error
		if m, err = g.c.Memory(exportMemory); err != nil {
			return nil
		}
	}
	b, err := m.Data(g.c)
	if err != nil {
		return nil
	}
	g.view = b
	return b
}

func (g *callerGuest) realloc(align, size uint32) (uint32, error) {
	f, ok := g.st.reallocFn, g.st.hasRealloc
	if !ok {
		var err error
		if f, err = g.c.Func(exportRealloc); err != nil {
			return 0, fmt.Errorf("%w: %s", ErrMissingExport, exportRealloc)
		}
	}
	if !isRealloc(f) {
		return 0, fmt.Errorf("%s has %d parameters and %d results (all i32: %t), want (i32, i32, i32, i32) -> i32", exportRealloc, f.Params(), f.Results(), f.AllI32())
	}
	g.view = nil // realloc runs guest code, which may grow memory
	if g.vals == nil {
		g.vals = new([4]wasmtimex.Val)
	}
	*g.vals = [4]wasmtimex.Val{{}, {}, {Lo: uint64(align)}, {Lo: uint64(size)}}
	view, err := g.st.enter(g.c, f, g.vals[:])
	if err != nil {
		return 0, fmt.Errorf("%s(0, 0, %d, %d): %w", exportRealloc, align, size, err)
	}
	g.view = view
	return checkAlloc(g.memory(), g.vals[0].U32(), align, size)
}

// isRealloc reports whether f has canonical_abi_realloc's type,
// (i32, i32, i32, i32) -> i32.
func isRealloc(f wasmtimex.Func) bool {
	return f.Params() == 4 && f.Results() == 1 && f.AllI32()
}

// enter calls f from cx (the instance's store, or a Caller inside one of
// its host functions). When the instance has a memory it goes along, so
// the host functions the call reaches and the caller afterwards find it
// without a call of their own; view is then its contents after the call
// (nil otherwise or on failure).
func (st *instanceState) enter(cx wasmtimex.Context, f wasmtimex.Func, vals []wasmtimex.Val) (view []byte, err error) {
	if !st.hasMem {
		return nil, f.Call(cx, vals)
	}
	view, err = f.CallWithMemory(cx, vals, st.mem)
	if err != nil {
		return nil, err
	}
	return view, nil
}

// checkAlloc checks a pointer returned by the guest's realloc.
func checkAlloc(mem []byte, ptr, align, size uint32) (uint32, error) {
	if _, err := abi.Bytes(mem, ptr, size); err != nil {
		return 0, fmt.Errorf("%s(0, 0, %d, %d) returned %#x: %w", exportRealloc, align, size, ptr, err)
	}
	return ptr, nil
}

// Names of the canonical ABI exports.
const (
	exportMemory  = "memory"
	exportRealloc = "canonical_abi_realloc"
	exportFree    = "canonical_abi_free"
)

// lowerBytes copies b into a fresh guest allocation with the given
// alignment and returns its pointer and length.
func lowerBytes(g guest, align uint32, b []byte) (ptr, n uint32, err error) {
	n, err = abi.Len32(len(b))
	if err != nil {
		return 0, 0, err
	}
	ptr, err = g.realloc(align, n)
	if err != nil {
		return 0, 0, err
	}
	if err := abi.Write(g.memory(), ptr, b); err != nil {
		return 0, 0, err
	}
	return ptr, n, nil
}

// retArea returns the size-byte return area at ret in the current memory.
func retArea(g guest, ret, size uint32) ([]byte, error) {
	b, err := abi.Bytes(g.memory(), ret, size)
	if err != nil {
		return nil, fmt.Errorf("return area: %w", err)
	}
	return b, nil
}

func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
