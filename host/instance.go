package host

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/abi"
	"github.com/spindlekv/spindle/kv"
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
}

// instanceState is the per-instance state host functions see.
type instanceState struct {
	comp     *Component
	ctx      context.Context
	start    time.Time
	deadline time.Time

	handles    map[uint32]kv.Store
	nextHandle uint32
	// maxHandles is the capacity of the handle table: 2^32, as in Spin
	// (tests lower it to reach store-table-full).
	maxHandles uint64

	// hostErr is the error a host function trapped with, reported by the
	// failed call in place of wasmtime's message.
	hostErr error
	// interrupted is set when the epoch callback stopped the guest.
	interrupted error

	mem       *wasmtime.Memory
	reallocFn *wasmtime.Func
	freeFn    *wasmtime.Func
}

// Instance is one fresh, isolated instance of a component. It is not safe
// for concurrent use. Close releases it; every method after Close returns
// an error matching ErrClosed.
type Instance struct {
	st     *instanceState
	store  *wasmtime.Store
	inst   *wasmtime.Instance
	funcs  map[string]*wasmtime.Func
	flush  []*lineLogger
	closed bool
}

// Instantiate makes a fresh, isolated instance. Its execution deadline is
// the earlier of ctx's deadline and now+Options.Timeout; cancelling ctx
// interrupts guest code running in it, and ctx is passed to the key-value
// stores the guest uses. If the module exports _initialize (a WASI
// reactor such as a standard-Go guest) it is called; _start never is.
func (c *Component) Instantiate(ctx context.Context, opts *InstanceOptions) (*Instance, error) {
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
		deadline:   c.deadline(ctx, now),
		handles:    make(map[uint32]kv.Store),
		maxHandles: 1 << 32,
	}
	i := &Instance{st: st}
	store := wasmtime.NewStoreWithData(c.e.wt, st)
	i.store = store
	store.Limiter(c.e.opts.MaxMemory, -1, -1, -1, -1)
	wc, err := c.wasiConfig(i, &o)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("host: instantiate component %q: %w", c.id, err)
	}
	store.SetWasi(wc)
	store.SetEpochDeadline(epochTicks(st.deadline.Sub(now)))

	inst, err := c.linker.Instantiate(store, c.module)
	if err != nil {
		err = st.trapError("instantiate", err)
		i.Close()
		return nil, err
	}
	i.inst = inst
	if ex := inst.GetExport(store, exportMemory); ex != nil {
		st.mem = ex.Memory()
	}
	st.reallocFn = inst.GetFunc(store, exportRealloc)
	st.freeFn = inst.GetFunc(store, exportFree)
	if c.HasExport("_initialize") {
		if _, err := i.Call("_initialize"); err != nil {
			i.Close()
			return nil, err
		}
	}
	return i, nil
}

// epochTicks converts a remaining time into an epoch deadline delta.
func epochTicks(d time.Duration) uint64 {
	if d <= 0 {
		return 1
	}
	return uint64((d+EpochInterval-1)/EpochInterval) + 1
}

// wasiConfig builds the WASI configuration of one instance.
func (c *Component) wasiConfig(i *Instance, o *InstanceOptions) (*wasmtime.WasiConfig, error) {
	wc := wasmtime.NewWasiConfig()
	if len(o.Args) > 0 {
		wc.SetArgv(o.Args)
	}
	env := c.cfg.Environment
	if len(o.Env) > 0 {
		env = make(map[string]string, len(c.cfg.Environment)+len(o.Env))
		for k, v := range c.cfg.Environment {
			env[k] = v
		}
		for k, v := range o.Env {
			env[k] = v
		}
	}
	if len(env) > 0 {
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		vals := make([]string, len(keys))
		for j, k := range keys {
			vals[j] = env[k]
		}
		wc.SetEnv(keys, vals)
	}
	for _, m := range c.cfg.Files {
		if err := wc.PreopenDir(m.HostDir, m.GuestDir, wasmtime.DIR_READ, wasmtime.FILE_READ); err != nil {
			wc.Close()
			return nil, fmt.Errorf("mount %s at %s: %w", m.HostDir, m.GuestDir, err)
		}
	}
	stdout := o.Stdout
	if stdout == nil {
		stdout = c.cfg.Stdout
	}
	if stdout == nil {
		ll := &lineLogger{log: c.e.log, component: c.id, stream: "stdout"}
		i.flush = append(i.flush, ll)
		stdout = ll
	}
	stderr := c.cfg.Stderr
	if stderr == nil {
		ll := &lineLogger{log: c.e.log, component: c.id, stream: "stderr"}
		i.flush = append(i.flush, ll)
		stderr = ll
	}
	setStdio(wc, stdout, stderr, o.Stdin)
	return wc, nil
}

// Component returns the component this instance was made from.
func (i *Instance) Component() *Component { return i.st.comp }

// Close releases the instance: its store, memory, and key-value handles
// (the stores themselves stay open; they belong to the Resolver). A
// trailing partial line of logged output is flushed. Close is idempotent
// and returns nil.
func (i *Instance) Close() error {
	if i.closed {
		return nil
	}
	i.closed = true
	i.store.Close()
	i.st.handles = nil
	i.funcs = nil
	for _, l := range i.flush {
		l.Flush()
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
// returns its raw results. A trap, a host-function failure or an expired
// deadline gives an error matching ErrTrap; an export that does not exist,
// ErrMissingExport.
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
	if err := st.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w in component %q, call %s: %w", ErrTrap, st.comp.id, name, err)
	}
	f := i.funcs[name]
	if f == nil {
		f = i.inst.GetFunc(i.store, name)
		if f == nil {
			return nil, fmt.Errorf("host: component %q: %w: %s", st.comp.id, ErrMissingExport, name)
		}
		if i.funcs == nil {
			i.funcs = make(map[string]*wasmtime.Func)
		}
		i.funcs[name] = f
	}
	in := make([]any, len(args))
	for j, a := range args {
		switch sig.params[j] {
		case wasmtime.KindI32:
			in[j] = int32(uint32(a))
		case wasmtime.KindI64:
			in[j] = int64(a)
		case wasmtime.KindF32:
			in[j] = math.Float32frombits(uint32(a))
		case wasmtime.KindF64:
			in[j] = math.Float64frombits(a)
		default:
			return nil, fmt.Errorf("host: component %q: call %s: parameter %d has unsupported type %v", st.comp.id, name, j, sig.params[j])
		}
	}
	r, err := f.Call(i.store, in...)
	if err != nil {
		return nil, st.trapError("call "+name, err)
	}
	switch v := r.(type) {
	case nil:
		return nil, nil
	case []wasmtime.Val:
		out := make([]uint64, len(v))
		for j, x := range v {
			out[j] = rawVal(x.Get())
		}
		return out, nil
	default:
		return []uint64{rawVal(v)}, nil
	}
}

func rawVal(v any) uint64 {
	switch x := v.(type) {
	case int32:
		return uint64(uint32(x))
	case int64:
		return uint64(x)
	case float32:
		return uint64(math.Float32bits(x))
	case float64:
		return math.Float64bits(x)
	}
	return 0
}

// memory returns the current view of the instance's linear memory.
func (i *Instance) memory() ([]byte, error) {
	if i.st.mem == nil {
		return nil, fmt.Errorf("host: component %q: %w: %s", i.st.comp.id, ErrMissingExport, exportMemory)
	}
	return i.st.mem.UnsafeData(i.store), nil
}

// Alloc calls canonical_abi_realloc(0, 0, align, size) in the guest and
// checks that [ptr, ptr+size) lies inside linear memory (else ErrTrap).
func (i *Instance) Alloc(align, size uint32) (uint32, error) {
	if err := i.check("alloc"); err != nil {
		return 0, err
	}
	if !i.st.comp.HasExport(exportRealloc) {
		return 0, fmt.Errorf("host: component %q: %w: %s", i.st.comp.id, ErrMissingExport, exportRealloc)
	}
	r, err := i.Call(exportRealloc, 0, 0, uint64(align), uint64(size))
	if err != nil {
		return 0, err
	}
	if len(r) != 1 {
		return 0, fmt.Errorf("%w in component %q: %s returned %d values", ErrTrap, i.st.comp.id, exportRealloc, len(r))
	}
	mem, err := i.memory()
	if err != nil {
		return 0, err
	}
	ptr, err := checkAlloc(mem, uint32(r[0]), align, size)
	if err != nil {
		return 0, fmt.Errorf("%w in component %q: %w", ErrTrap, i.st.comp.id, err)
	}
	return ptr, nil
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
	if !i.st.comp.HasExport(exportFree) {
		return fmt.Errorf("host: component %q: %w: %s", i.st.comp.id, ErrMissingExport, exportFree)
	}
	_, err := i.Call(exportFree, uint64(ptr), uint64(size), uint64(align))
	return err
}
