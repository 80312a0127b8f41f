package host

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spindlekv/spindle/internal/wasmtimex"
)

// Defaults for Options fields left zero.
const (
	// DefaultMaxMemory is the linear-memory limit of one instance, in bytes.
	DefaultMaxMemory = 128 << 20
	// DefaultTimeout is the execution deadline of one instance, counted
	// from Instantiate.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxInstances is the number of instances that may exist at
	// once in one Engine (the size of its pooling allocator). See
	// Options.MaxInstances for the address space each slot reserves.
	DefaultMaxInstances = 256
)

// Fixed limits and intervals of every Engine; no option changes them.
const (
	// GuardSize is the inaccessible guard region wasmtime places before
	// and after each linear memory slot of the pool.
	GuardSize = 32 << 20
	// MaxReservation is the largest total virtual address space one Engine
	// may reserve for its pool: MaxInstances × (MaxMemory rounded up to
	// 64 KiB + 2×GuardSize). NewEngine rejects larger configurations with
	// an error (the defaults reserve 256 × 192 MiB = 48 GiB).
	MaxReservation = 8 << 40
	// EpochInterval is how often the engine's ticker advances wasmtime's
	// epoch. Deadlines and context cancellation are noticed by running
	// guest code within about one interval.
	EpochInterval = 5 * time.Millisecond
	// DefaultMaxKeyValueHandles is how many key-value stores one instance
	// may have open at once. Spin's own default for its handle table is the
	// same (DEFAULT_STORE_TABLE_CAPACITY in
	// v1.5.1:crates/key-value/src/lib.rs), although its runtime builds the
	// table with u32::MAX (v1.5.1:crates/key-value/src/host_component.rs,
	// v3.1.2:crates/factor-key-value/src/lib.rs).
	DefaultMaxKeyValueHandles = 256
)

// keepResident is how much of each freed linear memory and table the pool
// keeps mapped for the next instance (wasmtime's
// linear_memory_keep_resident): on the 2-core reference VM, unmapping the
// whole memory per instance kept instantiation from scaling to the second
// core. BenchmarkHandleHTTP's floor shows the per-instance cost.
const keepResident = 1 << 20

// wasmtimeModule is the module path whose version keys the compile cache.
const wasmtimeModule = "github.com/bytecodealliance/wasmtime-go/v39"

// Options configures an Engine. A nil *Options, and every zero field, means
// the default. NewEngine copies the struct.
type Options struct {
	// MaxMemory is the linear-memory limit of one instance in bytes; a
	// guest's memory.grow past it fails (most guests then trap). It must
	// not exceed 4 GiB (32-bit wasm). Each pool slot reserves this much
	// virtual address space (rounded up to 64 KiB) plus two guard regions
	// of GuardSize; compiled code then checks bounds explicitly for
	// accesses that the reservation and guard do not cover. Zero means
	// DefaultMaxMemory.
	MaxMemory int64
	// Timeout is the default execution timeout of an instance, counted
	// from Instantiate; InstanceOptions.Timeout replaces it for one
	// instance. The deadline of the context passed to Instantiate applies
	// as well (the earlier wins). Zero means DefaultTimeout; negative
	// means none.
	Timeout time.Duration
	// CacheDir is a directory for compiled modules, keyed by the wasm's
	// SHA-256, the wasmtime version and the engine settings that affect
	// code; each entry records the SHA-256 of the exact wasm it was
	// compiled from and is only loaded for that wasm. "" disables the
	// cache; DefaultCacheDir is the per-user directory runners use.
	//
	// A cache directory is trusted code: an entry is native code the
	// engine runs in this process without verifying it, so anyone who can
	// write to the directory can run code as this process. Never point it
	// into an application directory or anywhere shipped with an app.
	// Compile creates a missing directory with mode 0700 and does not use
	// one that other users can write to or that another user owns.
	CacheDir string
	// MaxInstances is how many instances may exist at once in the
	// engine: the pooling allocator reserves this many slots (each one
	// reserves address space, not memory; see MaxMemory and
	// MaxReservation). When all are in use, Instantiate waits until an
	// instance is closed or its context is done. Zero means
	// DefaultMaxInstances.
	MaxInstances int
	// MaxKeyValueHandles is how many key-value handles one instance may
	// hold open at once; key-value open then answers store-table-full
	// (error tag 0) until the guest closes one. Each handle costs the host
	// a table entry of a few dozen bytes, outside MaxMemory, so this bounds
	// that memory too. Zero means DefaultMaxKeyValueHandles; negative means
	// no limit but the 32-bit handle space, as in Spin.
	MaxKeyValueHandles int
	// DefineImports, if set, is called with each component's linker after
	// WASI is defined and before Spindle's imports, so an embedder can
	// provide imports of its own (or replace Spindle's: an import already
	// defined here is left as it is). Functions defined here cannot see
	// Spindle's per-instance state. Nil means none.
	DefineImports func(*wasmtime.Linker) error
	// Logger receives compile progress and, unless a component or
	// instance sets its own writers, guest stdout and stderr lines. Nil
	// means slog.Default().
	Logger *slog.Logger
	// MaxLogBytes bounds how much of its stdout, and of its stderr, one
	// instance may send to Logger (counted after control characters and
	// invalid UTF-8 are replaced by U+FFFD); past it one "guest output
	// truncated" record is logged and the rest of that stream dropped.
	// Writers set in Config or InstanceOptions are not limited. Zero means
	// DefaultMaxLogBytes; negative means no limit.
	MaxLogBytes int64
}

// Engine compiles components and runs their instances. It owns one
// wasmtime engine (pooling instance allocator, epoch interruption) and a
// goroutine that advances the epoch. An Engine is safe for concurrent use.
type Engine struct {
	wt          *wasmtime.Engine
	opts        Options
	log         *slog.Logger
	fingerprint string

	stop      chan struct{}
	done      chan struct{}
	slots     chan struct{} // one token per live instance; cap MaxInstances
	closeOnce sync.Once

	mu     sync.RWMutex
	closed bool
	comps  map[*Module]struct{} // open components, closed by Close

	sharedMu sync.Mutex
	shared   map[[sha256.Size]byte]*sharedModule // compilations in flight or held
}

// NewEngine returns an Engine configured by opts (nil for defaults). Close
// it, and its instances, to stop its epoch ticker.
func NewEngine(opts *Options) (*Engine, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxMemory < 0 {
		return nil, fmt.Errorf("host: Options.MaxMemory %d is negative", o.MaxMemory)
	}
	if o.MaxInstances < 0 {
		return nil, fmt.Errorf("host: Options.MaxInstances %d is negative", o.MaxInstances)
	}
	if o.MaxInstances == 0 {
		o.MaxInstances = DefaultMaxInstances
	}
	if o.MaxKeyValueHandles == 0 {
		o.MaxKeyValueHandles = DefaultMaxKeyValueHandles
	}
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxLogBytes == 0 {
		o.MaxLogBytes = DefaultMaxLogBytes
	}
	if o.MaxMemory > maxWasmMemory {
		return nil, fmt.Errorf("host: Options.MaxMemory %d exceeds the 4 GiB a 32-bit wasm memory can address", o.MaxMemory)
	}
	return newEngine(o, uint64(o.MaxMemory+wasmPage-1)&^(wasmPage-1))
}

const (
	wasmPage      = 64 << 10
	maxWasmMemory = 4 << 30
)

// newEngine builds the engine with a per-slot reservation of reservation
// bytes (benchmarks compare against the 4 GiB one).
func newEngine(o Options, reservation uint64) (*Engine, error) {
	slot := reservation + 2*GuardSize
	if total := uint64(o.MaxInstances) * slot; total/slot != uint64(o.MaxInstances) || total > MaxReservation {
		return nil, fmt.Errorf("host: %d instances × %d bytes of address space each exceed MaxReservation (%d bytes); lower Options.MaxInstances or Options.MaxMemory", o.MaxInstances, slot, uint64(MaxReservation))
	}
	// wasmtime aborts the process when it cannot reserve the pool, so try
	// the reservation first and report failure as an error.
	if err := probeReservation(uint64(o.MaxInstances) * slot); err != nil {
		return nil, fmt.Errorf("host: reserve %d bytes of address space for %d instances: %w", uint64(o.MaxInstances)*slot, o.MaxInstances, err)
	}
	disableRustBacktraces()
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(true)
	pool := wasmtimex.Pooling{
		TotalCoreInstances:       uint32(o.MaxInstances),
		TotalMemories:            uint32(o.MaxInstances),
		TotalTables:              uint32(o.MaxInstances),
		TotalStacks:              uint32(o.MaxInstances),
		TotalGCHeaps:             uint32(o.MaxInstances),
		TotalComponentInstances:  uint32(o.MaxInstances),
		MaxMemorySize:            uint64(o.MaxMemory),
		LinearMemoryKeepResident: min(uint64(o.MaxMemory), keepResident),
		TableKeepResident:        keepResident,
		MemoryReservation:        reservation,
		MemoryGuardSize:          GuardSize,
		SetMemoryGuardSize:       true,
	}
	if err := wasmtimex.EnablePooling(cfg, pool); err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	wt := wasmtime.NewEngineWithConfig(cfg)
	e := &Engine{
		wt:    wt,
		opts:  o,
		log:   o.Logger,
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		slots: make(chan struct{}, o.MaxInstances),
		comps: make(map[*Module]struct{}),

		shared: make(map[[sha256.Size]byte]*sharedModule),
	}
	// Everything in the config that can change generated code.
	e.fingerprint = fmt.Sprintf("wasmtime-go=%s arch=%s/%s epoch=1 pooling=1 maxmem=%d reserve=%d guard=%d", wasmtimeVersion(), runtime.GOOS, runtime.GOARCH, o.MaxMemory, reservation, GuardSize)
	go e.tick()
	return e, nil
}

// wasmtimeVersion is the linked wasmtime-go version, read from the build
// information ("unknown" in binaries built without module support).
func wasmtimeVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == wasmtimeModule {
				if d.Replace != nil {
					return d.Replace.Path + "@" + d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

// tick advances the epoch every EpochInterval. After Close it goes on
// while any instance is open, so running guests still meet their deadline
// and notice a cancelled context, and returns once the last one is closed.
func (e *Engine) tick() {
	defer close(e.done)
	t := time.NewTicker(EpochInterval)
	defer t.Stop()
	stop := e.stop
	for {
		select {
		case <-stop:
			stop = nil // closed: keep ticking for open instances
		case <-t.C:
			if stop == nil && len(e.slots) == 0 {
				return
			}
			e.wt.IncrementEpoch()
		}
	}
}

// Close closes every Module compiled by e and marks the engine closed:
// later Compile and Instantiate calls return an error matching ErrClosed,
// and Instantiate calls waiting for a slot return it too. Instances that
// are still open keep working, and their deadlines and contexts are still
// enforced: the epoch ticker stops by itself once the last of them is
// closed (so an instance that is never closed keeps it running). Close does
// not wait for them. The wasmtime engine and its memory pool are released
// once the Engine and its last instance are garbage. Close is idempotent
// and returns nil.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		comps := e.comps
		e.comps = nil
		e.mu.Unlock()
		for c := range comps {
			c.pre.Close()
		}
		close(e.stop)
		// e.wt is not closed here: open instances and a Compile or
		// Instantiate racing with Close may still be using it (and then
		// fails with ErrClosed). wasmtime-go releases it when it is
		// garbage collected.
	})
	return nil
}

// acquire takes one of the engine's MaxInstances instance tokens, waiting
// for one to be released until ctx is done or the engine is closed.
func (e *Engine) acquire(ctx context.Context, deadline time.Time) error {
	select {
	case e.slots <- struct{}{}:
		return e.checkOpen()
	default:
	}
	var expired <-chan time.Time // none for a zero deadline
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	select {
	case e.slots <- struct{}{}:
		return e.checkOpen()
	case <-ctx.Done():
		return fmt.Errorf("waiting for one of %d instance slots: %w", cap(e.slots), ctx.Err())
	case <-expired:
		return fmt.Errorf("waiting for one of %d instance slots: %w", cap(e.slots), errDeadline)
	case <-e.stop:
		return ErrClosed
	}
}

// checkOpen gives back the token just taken if the engine was closed
// meanwhile: the ticker may already have stopped (it stops once a closed
// engine has no tokens out), so no instance may start after Close.
func (e *Engine) checkOpen() error {
	if e.isClosed() {
		e.release()
		return ErrClosed
	}
	return nil
}

// release returns a token taken by acquire.
func (e *Engine) release() { <-e.slots }

func (e *Engine) isClosed() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.closed
}

// Timeout returns the execution timeout an instance gets when its
// InstanceOptions.Timeout is zero: Options.Timeout, or DefaultTimeout when
// that was zero. A negative value means none.
func (e *Engine) Timeout() time.Duration { return e.opts.Timeout }

// Wasmtime returns the underlying wasmtime engine, for embedders that
// compile or link their own modules. It stays owned by the Engine; do not
// close it.
func (e *Engine) Wasmtime() *wasmtime.Engine { return e.wt }
