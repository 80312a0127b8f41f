package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/wasmtimex"
	"github.com/spindlekv/spindle/kv"
)

// Mount preopens a host directory for the guest, read-only.
type Mount struct {
	// HostDir is the directory on the host.
	HostDir string
	// GuestDir is the path the guest sees it at (Spin mounts at "/").
	GuestDir string
}

// Config describes one Spin component (the manifest's word) to compile,
// independently of spin.toml: its wasm and everything its instances are given.
// The same Config will describe a core module or a WebAssembly component.
// Compile copies the maps and slices; the Stores resolver and the writers
// stay owned by the caller and must be safe for concurrent use.
type Config struct {
	// ID names the component in errors and logs.
	ID string
	// Wasm is the module binary.
	Wasm []byte
	// Source names where Wasm was read from (a file path), for errors;
	// "" means unknown.
	Source string
	// Environment is the WASI environment of every instance.
	Environment map[string]string
	// Files are preopened read-only in every instance.
	Files []Mount
	// KeyValueStores are the labels the component may open; opening any
	// other label returns access-denied.
	KeyValueStores []string
	// Stores resolves labels to stores. Nil means no stores: opening a
	// listed label returns no-such-store, as does a label the Resolver
	// reports as kv.ErrNoSuchStore.
	Stores kv.Resolver
	// Variables are the values spin-config get-config serves.
	Variables map[string]string
	// Stdout and Stderr receive the guest's output. Nil means each line is
	// logged through the engine's Logger with the component id.
	Stdout, Stderr io.Writer
}

// Module is a compiled core WebAssembly module (a Spin 1.x component) with its
// configuration and its resolved imports. It is safe for concurrent use; Instantiate as many instances as
// needed. It belongs to the Engine that compiled it.
type Module struct {
	e       *Engine
	id      string
	cfg     Config
	module  *wasmtime.Module
	pre     *wasmtimex.InstancePre
	exports map[string]*funcSig
	// hasMemory reports a memory export called "memory".
	hasMemory bool
	// allowed maps each label in cfg.KeyValueStores to itself.
	allowed map[string]string
	// stubs names the imports that are linked as trapping stubs.
	stubs []string
	// envKeys and envVals are cfg.Environment, sorted by key.
	envKeys, envVals []string
	// preopens are cfg.Files as WASI read-only directories.
	preopens []wasmtimex.Preopen
	// hot lists the exports looked up together with each instantiation:
	// memory, realloc and free (always, at hotMemory, hotRealloc and
	// hotFree), then the function exports of hotCalls that exist, whose
	// index in hot hotIndex gives.
	hot      *wasmtimex.ExportList
	hotIndex map[string]int
	// usesWASI reports an import from WASI preview 1; a module without
	// one gets no WASI context (it could not reach it).
	usesWASI bool
	// lowerers pools HandleHTTP's scratch buffers (*lowerer).
	lowerers sync.Pool
}

// Indexes in Module.hot.
const (
	hotMemory = iota
	hotRealloc
	hotFree
	hotFirstCall
)

// maxHot bounds the length of Module.hot.
const maxHot = hotFirstCall + 2

// hotCalls returns the exports an embedder calls on most instances: the
// WASI reactor initializer and the Spin entry point.
func hotCalls() [maxHot - hotFirstCall]string {
	return [...]string{"_initialize", "handle-http-request"}
}

func (c *Module) listHot() error {
	names := []string{exportMemory, exportRealloc, exportFree}
	c.hotIndex = make(map[string]int)
	for _, n := range hotCalls() {
		if c.HasExport(n) {
			c.hotIndex[n] = len(names)
			names = append(names, n)
		}
	}
	var err error
	c.hot, err = wasmtimex.NewExportList(names...)
	return err
}

// allowedLabel returns the label equal to b if the component may open it,
// without allocating.
func (c *Module) allowedLabel(b []byte) (string, bool) {
	l, ok := c.allowed[string(b)]
	return l, ok
}

// funcSig is the core signature of an export.
type funcSig struct {
	params, results []wasmtime.ValKind
}

// Compile compiles cfg.Wasm (from the cache when possible) and links every
// import the module declares: WASI preview 1, key-value and spin-config
// for real, anything else as a stub that traps with an error naming the
// import when called.
func (e *Engine) Compile(ctx context.Context, cfg Config) (*Module, error) {
	if e.isClosed() {
		return nil, fmt.Errorf("host: compile component %q: %w", cfg.ID, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("host: compile component %q: %w", cfg.ID, err)
	}
	if len(cfg.Wasm) == 0 {
		return nil, fmt.Errorf("host: compile component %q: empty wasm", cfg.ID)
	}
	c := &Module{e: e, id: cfg.ID, cfg: cfg}
	c.cfg.Wasm = nil // not needed after compilation
	c.cfg.Environment = maps.Clone(cfg.Environment)
	c.cfg.Files = slices.Clone(cfg.Files)
	c.cfg.KeyValueStores = slices.Clone(cfg.KeyValueStores)
	c.cfg.Variables = maps.Clone(cfg.Variables)
	c.envKeys, c.envVals = sortedEnv(cfg.Environment, nil)
	for _, m := range cfg.Files {
		c.preopens = append(c.preopens, wasmtimex.Preopen{HostDir: m.HostDir, GuestDir: m.GuestDir})
	}
	c.allowed = make(map[string]string, len(cfg.KeyValueStores))
	for _, l := range cfg.KeyValueStores {
		c.allowed[l] = l
	}
	if err := checkWasm(cfg.Source, cfg.Wasm); err != nil {
		return nil, fmt.Errorf("host: compile component %q: %w", cfg.ID, err)
	}
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("host: component %q: %w", cfg.ID, err)
	}
	shared, err := e.holdModule(ctx, cfg.ID, cfg.Wasm)
	if err != nil {
		return nil, fmt.Errorf("host: compile component %q: %w", cfg.ID, err)
	}
	defer e.releaseModule(shared) // the InstancePre keeps what it needs
	m := shared.m
	c.module = m
	c.exports = make(map[string]*funcSig)
	for _, ex := range m.Exports() {
		if ex.Name() == exportMemory && ex.Type().MemoryType() != nil {
			c.hasMemory = true
		}
		ft := ex.Type().FuncType()
		if ft == nil {
			continue
		}
		c.exports[ex.Name()] = &funcSig{params: kinds(ft.Params()), results: kinds(ft.Results())}
	}
	if err := c.link(); err != nil {
		return nil, fmt.Errorf("host: link component %q: %w", cfg.ID, err)
	}
	if err := c.listHot(); err != nil {
		c.pre.Close()
		return nil, fmt.Errorf("host: component %q: %w", cfg.ID, err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		c.pre.Close()
		return nil, fmt.Errorf("host: compile component %q: %w", cfg.ID, ErrClosed)
	}
	e.comps[c] = struct{}{}
	e.mu.Unlock()
	if len(c.stubs) > 0 {
		e.log.Debug("host: imports linked as trapping stubs", "component", cfg.ID, "imports", c.stubs)
	}
	return c, nil
}

// checkConfig reports every problem in cfg's variables and mounts.
func checkConfig(cfg Config) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(cfg.Variables)) {
		if err := checkConfigKey(k); err != nil {
			errs = append(errs, fmt.Errorf("variable %q: %w", k, err))
		}
	}
	for _, m := range cfg.Files {
		if m.GuestDir == "" {
			errs = append(errs, fmt.Errorf("mount of %q: empty GuestDir", m.HostDir))
		}
		fi, err := os.Stat(m.HostDir)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("mount at %q: %w", m.GuestDir, err))
		case !fi.IsDir():
			errs = append(errs, fmt.Errorf("mount at %q: %s is not a directory", m.GuestDir, m.HostDir))
		}
	}
	return errors.Join(errs...)
}

// sortedEnv merges base and extra (extra wins) into keys and values sorted
// by key.
func sortedEnv(base, extra map[string]string) (keys, vals []string) {
	keys = make([]string, 0, len(base)+len(extra))
	for k := range base {
		if _, ok := extra[k]; !ok {
			keys = append(keys, k)
		}
	}
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals = make([]string, len(keys))
	for j, k := range keys {
		if v, ok := extra[k]; ok {
			vals[j] = v
		} else {
			vals[j] = base[k]
		}
	}
	return keys, vals
}

func kinds(vts []*wasmtime.ValType) []wasmtime.ValKind {
	out := make([]wasmtime.ValKind, len(vts))
	for i, vt := range vts {
		out[i] = vt.Kind()
	}
	return out
}

// link builds the component's linker: WASI, then one definition per import
// of the module: Spindle's implementation when the name and core signature
// match, else a stub with the module's own signature.
func (c *Module) link() error {
	l := wasmtime.NewLinker(c.e.wt)
	defer l.Close() // the InstancePre keeps what it needs
	if err := l.DefineWasi(); err != nil {
		return err
	}
	probe := wasmtime.NewStore(c.e.wt)
	defer probe.Close()
	if c.e.opts.DefineImports != nil {
		if err := c.e.opts.DefineImports(l); err != nil {
			return fmt.Errorf("Options.DefineImports: %w", err)
		}
	}
	defined := make(map[string]bool)
	for _, imp := range c.module.Imports() {
		mod, name := imp.Module(), ""
		if n := imp.Name(); n != nil {
			name = *n
		}
		full := mod + "." + name
		if mod == wasiModule {
			c.usesWASI = true
		}
		if defined[full] {
			continue
		}
		ft := imp.Type().FuncType()
		if ft == nil {
			return fmt.Errorf("import %s is not a function; Spindle only provides functions", full)
		}
		defined[full] = true
		if c.e.opts.DefineImports != nil && l.Get(probe, mod, name) != nil {
			continue // defined by the embedder (or WASI)
		}
		if hf, ok := lookupHostFunc(full); ok && hf.matches(ft) {
			if err := hf.define(l, mod, name); err != nil {
				return fmt.Errorf("define %s: %w", full, err)
			}
			continue
		}
		if mod == wasiModule && l.Get(probe, mod, name) != nil {
			continue // wasmtime's WASI provides it
		}
		c.stubs = append(c.stubs, full)
		if err := defineStub(l, mod, name, ft); err != nil {
			return fmt.Errorf("define stub %s: %w", full, err)
		}
	}
	pre, err := wasmtimex.NewInstancePre(l, c.module)
	if err != nil {
		return err
	}
	c.pre = pre
	c.module = nil
	return nil
}

// Close releases the compiled code; instances already made keep working.
// Later Instantiate calls return an error matching ErrClosed. Close is
// idempotent and returns nil. Engine.Close closes every component.
func (c *Module) Close() error {
	c.e.mu.Lock()
	delete(c.e.comps, c)
	c.e.mu.Unlock()
	return c.pre.Close()
}

const wasiModule = "wasi_snapshot_preview1"

// defineStub defines module.name with signature ft as a function that
// fails the guest call with an error naming the import.
func defineStub(l *wasmtime.Linker, module, name string, ft *wasmtime.FuncType) error {
	msg := fmt.Sprintf("import %s.%s is not implemented by Spindle", module, name)
	params, results := kinds(ft.Params()), kinds(ft.Results())
	err := wasmtimex.DefineFuncUnchecked(l, module, name, params, results, func(c *wasmtimex.Caller, _ []wasmtimex.Val) error {
		err := errors.New(msg)
		if st, ok := c.Data().(*instanceState); ok && st.hostErr == nil {
			st.hostErr = err
		}
		return err
	})
	if !errors.Is(err, wasmtimex.ErrUnsupportedType) {
		return err
	}
	// Reference types or v128: wasmtime-go's checked path handles them.
	return l.FuncNew(module, name, ft, func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
		return nil, wasmtime.NewTrap(msg)
	})
}

// ID returns the component id from its Config.
func (c *Module) ID() string { return c.id }

// HasExport reports whether the module exports a function called name.
func (c *Module) HasExport(name string) bool {
	_, ok := c.exports[name]
	return ok
}

// HasMemory reports whether the module exports a linear memory called
// "memory", which the Spin ABI and Instance.Alloc, Read and Write need.
func (c *Module) HasMemory() bool { return c.hasMemory }

// Stubs returns the imports of the module that Spindle does not implement
// and that were linked as stubs which trap when called.
func (c *Module) Stubs() []string { return slices.Clone(c.stubs) }

// deadline returns the instance deadline for ctx (the zero Time for
// none): the earlier of ctx's deadline and now plus the instance's
// timeout, which is InstanceOptions.Timeout (timeout) unless that is
// zero, then the engine's Options.Timeout. A negative timeout is none.
func (c *Module) deadline(ctx context.Context, now time.Time, timeout time.Duration) time.Time {
	if timeout == 0 {
		timeout = c.e.opts.Timeout
	}
	var d time.Time
	if timeout > 0 {
		d = now.Add(timeout)
	}
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
	}
	return d
}
