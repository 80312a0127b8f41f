package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/abi"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// InstanceOptions are per-instance additions to the component's
// configuration. A nil *InstanceOptions means none.
type InstanceOptions struct {
	// Args is the WASI argv (used by WAGI).
	Args []string
	// Env is added to the component's Environment; it wins on conflicts.
	Env map[string]string
	// Stdin is the guest's standard input (used by WAGI); nil means empty.
	Stdin []byte
	// Stdout captures standard output for this instance (used by WAGI);
	// nil means the component's default.
	Stdout io.Writer
	// Timeout is the instance's execution timeout, counted from
	// Instantiate, in place of the engine's Options.Timeout: longer or
	// shorter. Zero means Options.Timeout; negative means none. ctx's
	// deadline applies as well (the earlier wins). It costs less than a
	// context.WithTimeout: no timer is started unless the instance waits
	// for a slot or uses a store.
	Timeout time.Duration
}

// instanceState is the per-instance state host functions see (the
// store's data).
type instanceState struct {
	comp     *Module
	ctx      context.Context
	start    time.Time
	deadline time.Time

	handles    handleTable
	nextHandle uint32
	// maxHandles is the capacity of the handle table
	// (Options.MaxKeyValueHandles).
	maxHandles uint64

	// kvCtx is ctx bounded by the deadline, for store calls; made on first
	// use and stopped by Close.
	kvCtx *storeCtx

	// hostErr is the error a host function trapped with, reported by the
	// failed call in place of wasmtime's message.
	hostErr error

	// Buffers for the outermost host-function call (see hostFunc.define)
	// and its nesting depth.
	guest callerGuest
	args  [8]uint64
	depth int

	// Exports, cached after instantiation (has* false until then, e.g.
	// in a start function).
	mem                wasmtimex.Memory
	reallocFn, freeFn  wasmtimex.Func
	hasMem, hasRealloc bool
	hasFree            bool
}

// Instance is one fresh, isolated instance of a component. It is not safe
// for concurrent use. Close releases it; every method after Close returns
// an error matching ErrClosed.
type Instance struct {
	st    *instanceState
	store *wasmtimex.Store
	inst  wasmtimex.Instance
	funcs map[string]wasmtimex.Func // looked up on first call
	hot   [maxHot]wasmtimex.Func    // Module.hot's functions
	hotOK [maxHot]bool
	vals  []wasmtimex.Val // a separate allocation: cgo checks all of it
	view  []byte          // cached memory view; nil after any guest call
	// logs are the default stdout and stderr loggers, used when the
	// component and the options give no writer; logged says which.
	logs   [2]lineLogger
	logged [2]bool
	wasi   wasmtimex.WASIConfig
	slot   bool // holds one of the engine's MaxInstances tokens
	closed bool
}

// Instantiate makes a fresh, isolated instance. Its execution deadline is
// the earlier of ctx's deadline and now plus its timeout
// (InstanceOptions.Timeout, or else Options.Timeout); cancelling ctx
// interrupts guest code running in it, and ctx is passed to the key-value
// stores the guest uses. If the module exports _initialize (a WASI
// reactor such as a standard-Go guest) it is called; _start never is.
//
// When Options.MaxInstances instances of the engine are open, Instantiate
// waits until one is closed; if ctx is done first it returns an error
// matching ctx.Err() (context.DeadlineExceeded or context.Canceled), and if
// the engine is closed meanwhile, ErrClosed.
//
// A failure of the module itself is an error matching ErrTrap: a trap in
// its start function or in _initialize.
func (c *Module) Instantiate(ctx context.Context, opts *InstanceOptions) (*Instance, error) {
	if c.e.isClosed() {
		return nil, fmt.Errorf("host: instantiate component %q: %w", c.id, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("host: instantiate component %q: %w", c.id, err)
	}
	var o InstanceOptions
	if opts != nil {
		o = *opts
	}
	now := time.Now()
	st := &instanceState{
		comp:       c,
		ctx:        ctx,
		start:      now,
		deadline:   c.deadline(ctx, now, o.Timeout),
		maxHandles: uint64(c.e.opts.MaxKeyValueHandles),
	}
	if c.e.opts.MaxKeyValueHandles < 0 {
		st.maxHandles = 1 << 32 // every handle a u32 can name
	}
	st.guest.st = st
	if err := c.e.acquire(ctx, st.deadline); err != nil {
		return nil, fmt.Errorf("host: instantiate component %q: %w", c.id, err)
	}
	i := &Instance{st: st, slot: true}
	cfg := &wasmtimex.StoreConfig{
		// The callback runs on every epoch tick while guest code runs: it
		// stops the guest once ctx is done or the deadline has passed.
		EpochDeadline: 1,
		OnEpoch:       st.onEpoch,
	}
	if c.usesWASI {
		cfg.WASI = c.wasiConfig(i, &o)
	}
	store, err := wasmtimex.NewStoreConfig(c.e.wt, st, cfg)
	if err != nil {
		c.e.release()
		return nil, fmt.Errorf("host: instantiate component %q: %w", c.id, err)
	}
	i.store = store
	var exps [maxHot]wasmtimex.Export
	inst, err := c.pre.InstantiateExports(store, c.hot, exps[:c.hot.Len()])
	if errors.Is(err, wasmtimex.ErrClosed) {
		i.Close()
		return nil, fmt.Errorf("host: instantiate component %q: %w", c.id, ErrClosed)
	}
	if err != nil {
		err = st.trapError("instantiate", err)
		i.Close()
		return nil, err
	}
	i.inst = inst
	if m, err := exps[hotMemory].Memory(); err == nil {
		st.mem, st.hasMem = m, true
	}
	if f, err := exps[hotRealloc].Func(store); err == nil {
		st.reallocFn, st.hasRealloc = f, true
	}
	if f, err := exps[hotFree].Func(store); err == nil {
		st.freeFn, st.hasFree = f, true
	}
	for k := hotFirstCall; k < c.hot.Len(); k++ {
		if f, err := exps[k].Func(store); err == nil {
			i.hot[k], i.hotOK[k] = f, true
		}
	}
	if c.HasExport("_initialize") {
		if _, err := i.Call("_initialize"); err != nil {
			i.Close()
			return nil, err
		}
	}
	return i, nil
}

// storeCtx returns the context for key-value store calls: the instance's
// context, also cancelled at the instance deadline, so a hung store call
// cannot outlive it.
func (st *instanceState) storeCtx() context.Context {
	if st.deadline.IsZero() {
		return st.ctx // no deadline of its own
	}
	if d, ok := st.ctx.Deadline(); ok && !d.After(st.deadline) {
		return st.ctx // already ends by the deadline
	}
	if st.kvCtx == nil {
		st.kvCtx = newStoreCtx(st.ctx, st.deadline)
	}
	return st.kvCtx
}

// errDeadline is the cause of an interrupt at the instance deadline.
var errDeadline = fmt.Errorf("instance deadline exceeded: %w", context.DeadlineExceeded)

// onEpoch decides, on every epoch tick, whether the guest may go on.
func (st *instanceState) onEpoch() (uint64, error) {
	if err := st.ctx.Err(); err != nil {
		return 0, err
	}
	if !st.deadline.IsZero() && !time.Now().Before(st.deadline) {
		return 0, errDeadline
	}
	return 1, nil
}

// trapError builds the error for a failed guest call. st.hostErr is the
// error a host function recorded before trapping (nil if the guest trapped
// on its own); cause is what the call returned.
func (st *instanceState) trapError(op string, cause error) error {
	if st.hostErr != nil {
		err := st.hostErr
		st.hostErr = nil
		return fmt.Errorf("%w in component %q, %s: %w", ErrTrap, st.comp.id, op, err)
	}
	if errors.Is(cause, context.DeadlineExceeded) || errors.Is(cause, context.Canceled) {
		reason := context.Cause(st.ctx)
		if reason == nil || errors.Is(cause, errDeadline) {
			reason = cause
		}
		return fmt.Errorf("%w in component %q, %s: interrupted after %v: %w", ErrTrap, st.comp.id, op,
			time.Since(st.start).Round(time.Millisecond), reason)
	}
	var te *wasmtimex.TrapError
	if errors.As(cause, &te) {
		return fmt.Errorf("%w in component %q, %s: %s", ErrTrap, st.comp.id, op, stripBacktrace(te.Message))
	}
	return fmt.Errorf("%w in component %q, %s: %w", ErrTrap, st.comp.id, op, cause)
}

// wasiConfig builds the WASI configuration of one instance, in i.
func (c *Module) wasiConfig(i *Instance, o *InstanceOptions) *wasmtimex.WASIConfig {
	w := &i.wasi
	*w = wasmtimex.WASIConfig{
		Args:      o.Args,
		EnvNames:  c.envKeys,
		EnvValues: c.envVals,
		Stdin:     o.Stdin,
		Stdout:    o.Stdout,
		Stderr:    c.cfg.Stderr,
		Preopens:  c.preopens,
	}
	if len(o.Env) > 0 {
		w.EnvNames, w.EnvValues = sortedEnv(c.cfg.Environment, o.Env)
	}
	if w.Stdout == nil {
		w.Stdout = c.cfg.Stdout
	}
	for k, out := range []*io.Writer{&w.Stdout, &w.Stderr} {
		if *out == nil {
			l := &i.logs[k]
			l.log, l.component, l.stream, l.max = c.e.log, c.id, [2]string{"stdout", "stderr"}[k], c.e.opts.MaxLogBytes
			i.logged[k] = true
			*out = l
		}
	}
	return w
}

// Deadline returns the instance's execution deadline: the earlier of
// ctx's deadline and the instance's timeout (InstanceOptions.Timeout, or
// else Options.Timeout) from Instantiate; the zero Time when there is
// neither.
func (i *Instance) Deadline() time.Time { return i.st.deadline }

// Module returns the module this instance was made from.
func (i *Instance) Module() *Module { return i.st.comp }

// Close releases the instance: its store, its memory (back to the engine's
// pool) and its key-value handles (the stores themselves stay open; they
// belong to the Resolver). A trailing partial line of logged output is
// flushed. Close is idempotent and returns nil, except when called while
// the instance's guest code is running (from one of its output writers),
// which fails and leaves the instance open.
func (i *Instance) Close() error {
	if i.closed {
		return nil
	}
	if err := i.store.Close(); err != nil {
		return fmt.Errorf("host: component %q: close: %w", i.st.comp.id, err)
	}
	i.closed = true
	if i.slot {
		i.slot = false
		i.st.comp.e.release()
	}
	if i.st.kvCtx != nil {
		i.st.kvCtx.stop()
	}
	i.st.handles.clear()
	i.funcs = nil
	i.view = nil
	for k := range i.logs {
		if i.logged[k] {
			i.logs[k].Flush()
		}
	}
	return nil
}

func (i *Instance) check(op string) error {
	if i.closed {
		return fmt.Errorf("host: component %q: %s: %w", i.st.comp.id, op, ErrClosed)
	}
	return nil
}

// Call calls the exported function name with raw core values (an i32
// travels in the low 32 bits of a uint64, floats as their IEEE bits) and
// returns its raw results (an i32 result zero-extended). A trap, a
// host-function failure or an expired deadline gives an error matching
// ErrTrap; an export that does not exist, ErrMissingExport. A guest that
// calls WASI proc_exit(0) (as WAGI modules' _start may) ends the call
// successfully with zero results; another status gives an *ExitError.
func (i *Instance) Call(name string, args ...uint64) ([]uint64, error) {
	if err := i.check("call " + name); err != nil {
		return nil, err
	}
	st := i.st
	sig := st.comp.exports[name]
	if sig == nil {
		return nil, fmt.Errorf("host: component %q: %w: %s", st.comp.id, ErrMissingExport, name)
	}
	if len(args) != len(sig.params) {
		return nil, fmt.Errorf("host: component %q: call %s: %d arguments, want %d", st.comp.id, name, len(args), len(sig.params))
	}
	var f wasmtimex.Func
	var ok bool
	if k, hot := st.comp.hotIndex[name]; hot && i.hotOK[k] {
		f, ok = i.hot[k], true
	} else {
		f, ok = i.funcs[name]
	}
	if !ok {
		var err error
		f, err = i.inst.Func(i.store, name)
		if err != nil {
			return nil, fmt.Errorf("host: component %q: call %s: %w", st.comp.id, name, err)
		}
		if i.funcs == nil {
			i.funcs = make(map[string]wasmtimex.Func)
		}
		i.funcs[name] = f
	}
	vals := i.valBuf(f.Len())
	for j, a := range args {
		vals[j] = wasmtimex.Val{Lo: a}
	}
	if err := i.call(name, f, vals); err != nil {
		return nil, err
	}
	out := make([]uint64, len(sig.results))
	for j, k := range sig.results {
		out[j] = vals[j].Lo
		if k == wasmtime.KindI32 || k == wasmtime.KindF32 {
			out[j] = uint64(uint32(out[j]))
		}
	}
	return out, nil
}

// valBuf returns the instance's reusable value buffer with n values.
func (i *Instance) valBuf(n int) []wasmtimex.Val {
	if cap(i.vals) < n {
		i.vals = make([]wasmtimex.Val, n, max(n, 10))
	}
	i.vals = i.vals[:n]
	clear(i.vals)
	return i.vals
}

// call enters the guest; the memory view is invalid afterwards.
func (i *Instance) call(name string, f wasmtimex.Func, vals []wasmtimex.Val) error {
	st := i.st
	if err := st.ctx.Err(); err != nil {
		return st.trapError("call "+name, err)
	}
	i.view = nil
	view, err := st.enter(i.store, f, vals)
	if err == nil {
		i.view = view
		return nil
	}
	var exit *wasmtimex.ExitError
	if st.hostErr == nil && errors.As(err, &exit) {
		if exit.Status == 0 {
			clear(vals) // no results: the guest exited
			return nil
		}
		return &ExitError{Module: st.comp.id, Status: exit.Status, cause: err}
	}
	return st.trapError("call "+name, err)
}

// memory returns the current view of the instance's linear memory.
func (i *Instance) memory() ([]byte, error) {
	if i.view != nil {
		return i.view, nil
	}
	if !i.st.hasMem {
		return nil, fmt.Errorf("host: component %q: %w: %s", i.st.comp.id, ErrMissingExport, exportMemory)
	}
	b, err := i.st.mem.Data(i.store)
	if err != nil {
		return nil, fmt.Errorf("host: component %q: memory: %w", i.st.comp.id, err)
	}
	i.view = b
	return b, nil
}

// Alloc calls canonical_abi_realloc(0, 0, align, size) in the guest and
// checks that [ptr, ptr+size) lies inside linear memory (else ErrTrap).
func (i *Instance) Alloc(align, size uint32) (uint32, error) {
	if err := i.check("alloc"); err != nil {
		return 0, err
	}
	st := i.st
	if !st.hasRealloc || !isRealloc(st.reallocFn) {
		return 0, fmt.Errorf("host: component %q: %w: %s(i32, i32, i32, i32) -> i32", st.comp.id, ErrMissingExport, exportRealloc)
	}
	vals := i.valBuf(4)
	vals[2].Lo, vals[3].Lo = uint64(align), uint64(size)
	if err := i.call(exportRealloc, st.reallocFn, vals); err != nil {
		return 0, err
	}
	mem, err := i.memory()
	if err != nil {
		return 0, err
	}
	ptr, err := checkAlloc(mem, vals[0].U32(), align, size)
	if err != nil {
		return 0, fmt.Errorf("%w in component %q: %w", ErrTrap, st.comp.id, err)
	}
	return ptr, nil
}

// block is one allocation made by Instance.allocMany.
type block struct {
	// Align and Size are canonical_abi_realloc's alignment and size.
	Align, Size uint32
	// Ptr is set by allocMany to the block's address.
	Ptr uint32
	// Copy makes the next Size bytes of allocMany's data the contents of
	// the block; without it the block is left for the caller to write.
	Copy bool
	_    [3]byte // block has wasmtimex.Alloc's layout (see allocsOf)
}

// allocsOf views blocks as the wasmtimex.Alloc slice it is laid out as
// (TestBlockLayout checks), so allocMany copies nothing.
func allocsOf(blocks []block) []wasmtimex.Alloc {
	return unsafe.Slice((*wasmtimex.Alloc)(unsafe.Pointer(unsafe.SliceData(blocks))), len(blocks))
}

// allocMany allocates the blocks in order, each with one call of
// canonical_abi_realloc(0, 0, Align, Size), checks that each lies inside
// linear memory (else ErrTrap), and copies the contents of the blocks
// marked Copy from data, consecutively (len(data) must be their total
// size). It does what len(blocks) calls of Alloc and Write would, in the
// same order, but crosses into the engine once: lowering a request with
// many strings costs one call instead of two per string. On failure the
// Ptr of the blocks already made is set.
func (i *Instance) allocMany(blocks []block, data []byte) error {
	if err := i.check("alloc"); err != nil {
		return err
	}
	st := i.st
	if !st.hasRealloc || !isRealloc(st.reallocFn) {
		return fmt.Errorf("host: component %q: %w: %s(i32, i32, i32, i32) -> i32", st.comp.id, ErrMissingExport, exportRealloc)
	}
	if !st.hasMem {
		return fmt.Errorf("host: component %q: %w: %s", st.comp.id, ErrMissingExport, exportMemory)
	}
	total := 0
	for _, b := range blocks {
		if b.Copy {
			total += int(b.Size)
		}
	}
	if total != len(data) {
		return fmt.Errorf("host: component %q: alloc: %d bytes of data for %d bytes of Copy blocks", st.comp.id, len(data), total)
	}
	if err := st.ctx.Err(); err != nil {
		return st.trapError("call "+exportRealloc, err)
	}
	view, _, err := wasmtimex.ReallocMany(i.store, st.reallocFn, st.mem, allocsOf(blocks), data)
	i.view = view
	if err == nil {
		return nil
	}
	if errors.Is(err, wasmtimex.ErrOutOfBounds) {
		return fmt.Errorf("%w in component %q: %w", ErrTrap, st.comp.id, err)
	}
	return st.trapError("call "+exportRealloc, err)
}

// Write copies b into guest memory at ptr, bounds-checked (else ErrTrap).
func (i *Instance) Write(ptr uint32, b []byte) error {
	if err := i.check("write"); err != nil {
		return err
	}
	mem, err := i.memory()
	if err != nil {
		return err
	}
	if err := abi.Write(mem, ptr, b); err != nil {
		return fmt.Errorf("%w in component %q: write: %w", ErrTrap, i.st.comp.id, err)
	}
	return nil
}

// Read returns a copy of n bytes of guest memory at ptr, bounds-checked
// with ptr+n computed without overflow (else ErrTrap).
func (i *Instance) Read(ptr, n uint32) ([]byte, error) {
	if err := i.check("read"); err != nil {
		return nil, err
	}
	mem, err := i.memory()
	if err != nil {
		return nil, err
	}
	b, err := abi.CopyBytes(mem, ptr, n)
	if err != nil {
		return nil, fmt.Errorf("%w in component %q: read: %w", ErrTrap, i.st.comp.id, err)
	}
	return b, nil
}

// Free calls canonical_abi_free(ptr, size, align) in the guest.
func (i *Instance) Free(ptr, size, align uint32) error {
	if err := i.check("free"); err != nil {
		return err
	}
	st := i.st
	if !st.hasFree || st.freeFn.Params() != 3 || st.freeFn.Results() != 0 || !st.freeFn.AllI32() {
		return fmt.Errorf("host: component %q: %w: %s(i32, i32, i32)", st.comp.id, ErrMissingExport, exportFree)
	}
	vals := i.valBuf(3)
	vals[0].Lo, vals[1].Lo, vals[2].Lo = uint64(ptr), uint64(size), uint64(align)
	return i.call(exportFree, st.freeFn, vals)
}

// Call is a convenience for platforms that are not HTTP: it makes a fresh
// instance with opts, calls the export name with raw args (see
// Instance.Call), closes the instance and returns the results.
func (c *Module) Call(ctx context.Context, opts *InstanceOptions, name string, args ...uint64) ([]uint64, error) {
	i, err := c.Instantiate(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer i.Close()
	return i.Call(name, args...)
}
