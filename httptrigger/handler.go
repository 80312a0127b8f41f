package httptrigger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/internal/route"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/manifest"
)

// DefaultMaxBodyBytes is the default Options.MaxBodyBytes: the largest
// request body accepted; a larger one is answered with 413 and the guest
// is not run.
const DefaultMaxBodyBytes = 10 << 20

// Sentinel errors returned by New (wrapped with the component, label or
// route concerned). A component lacking an export its executor needs
// fails New with an error matching host.ErrMissingExport; a trigger
// naming an undefined component (possible only in an App built by hand),
// manifest.ErrUnknownComponent.
var (
	// ErrUndefinedStore: a component lists a key-value store label the
	// Resolver does not know.
	ErrUndefinedStore = errors.New("httptrigger: undefined key-value store")
	// ErrRouteConflict: two HTTP triggers' routes compile to the same
	// pattern.
	ErrRouteConflict = errors.New("httptrigger: duplicate route")
)

// Options configures a Handler. A nil *Options, and every zero field,
// means the default; a negative limit means no limit. New copies the
// struct.
type Options struct {
	// MaxBodyBytes is the largest request body, in bytes, passed to a
	// guest; larger requests get 413. Zero means DefaultMaxBodyBytes;
	// negative means no limit.
	MaxBodyBytes int64
	// Timeout is the execution timeout of each request's instance,
	// counted from when the instance is made; it replaces the engine's
	// host.Options.Timeout for this handler's requests, longer or shorter
	// (host.InstanceOptions.Timeout). Zero means the engine's; negative
	// means none. The request's context (a client that goes away, a
	// server's deadline) ends the request as well.
	Timeout time.Duration
	// MaxResponseHeaders bounds the number of header fields a guest may
	// return, and MaxResponseHeaderBytes the total length of their names
	// and values; a guest over either gets 500 before the host allocates
	// for them. Zero means host.DefaultMaxResponseHeaders and
	// host.DefaultMaxResponseHeaderBytes; negative means no limit.
	MaxResponseHeaders, MaxResponseHeaderBytes int
	// Logger receives start-up messages and request failures (500s), each
	// with the component id. Nil means slog.Default().
	Logger *slog.Logger
	// Variables provides values for application variables by name (as
	// declared, lower case), used to render each component's variables
	// once, at New. Nil means the environment: SPIN_VARIABLE_<NAME>, then
	// SPIN_CONFIG_<NAME> (Spin 1.x), with NAME upper-cased.
	Variables func(name string) (string, bool)

	// Resource limits (Spindle's; Spin has none of them).

	// MaxConcurrentPerComponent is how many requests one component may
	// run at once, over all its routes, so a slow or looping component
	// cannot take every instance slot of the engine. A request over the
	// limit waits for a slot until its timeout (Timeout, else the engine's),
	// counted from its arrival, and
	// then gets 503 Service Unavailable without running the guest. Zero
	// means DefaultMaxConcurrentPerComponent; negative means no limit.
	// Keep it below the engine's MaxInstances.
	MaxConcurrentPerComponent int
	// MaxBodyBytesInFlight bounds the request-body bytes buffered at once
	// over all requests. A request reserves its declared Content-Length
	// (MaxBodyBytes when unknown) after taking its component slot and
	// before its body is read; when the budget is used up it waits, as
	// for a slot, then gets 503. Zero means DefaultMaxBodyBytesInFlight;
	// negative means no limit. A body larger than the whole budget waits
	// for all of it. A client that stalls its body holds its reservation
	// (and its component slot) until the server gives up reading: set
	// http.Server.ReadTimeout (spin-up's --read-timeout, 30 s), and the
	// request then gets 408.
	MaxBodyBytesInFlight int64
	// MaxWagiOutputBytes bounds what a WAGI guest may write to stdout
	// (headers and body). A guest that writes more is stopped and the
	// request gets 500, logged with ErrWagiOutputTooLarge. Zero means
	// DefaultMaxWagiOutputBytes; negative means no limit.
	MaxWagiOutputBytes int64
	// FailureLogInterval rate-limits the "request failed" records (traps,
	// bad responses, deadlines) of each component: the first failure is
	// logged in full, then at most one per interval, carrying the number
	// of failures left out since the previous record ("suppressed"); Close
	// logs the remainder. Zero means DefaultFailureLogInterval; negative
	// logs every failure.
	FailureLogInterval time.Duration
	// FilesDir is the directory under which New places the snapshot of
	// the components' files (a "spindle-files-*" directory, removed by
	// Close; one left by a process that died is removed by the next New
	// using the same FilesDir). "" means os.TempDir().
	FilesDir string
	// PrivateDirs are host directories never exposed through files: a
	// glob skips what is inside them and a { source = ... } inside one
	// fails New with ErrPrivateFiles. The app's ".spin" state directory
	// and the snapshot directories are always private; add the state and
	// cache directories when they are elsewhere.
	PrivateDirs []string
}

// EnvVariables is the default Options.Variables: it looks up
// SPIN_VARIABLE_<NAME> and then SPIN_CONFIG_<NAME> in the process
// environment.
func EnvVariables(name string) (string, bool) {
	up := strings.ToUpper(name)
	if v, ok := os.LookupEnv("SPIN_VARIABLE_" + up); ok {
		return v, true
	}
	return os.LookupEnv("SPIN_CONFIG_" + up)
}

// Route describes one HTTP route a Handler serves, for printing.
type Route struct {
	// Pattern is the base-joined route as compiled, with "/..." for a
	// wildcard ("/base/foo/..."; "" for the route "/" at base "/").
	Pattern string
	// Raw is the route as written in the manifest.
	Raw string
	// Wildcard reports whether the route matches a path prefix.
	Wildcard bool
	// Component is the id of the component that serves it.
	Component string
	// Executor is "spin" or "wagi".
	Executor string
}

// Handler serves a Spin application over HTTP: it routes each request to a
// component and runs it in a fresh instance. It is safe for concurrent use.
//
// The Handler owns the compiled components. The engine and the stores
// passed to New stay owned by the caller, who closes them after Close.
type Handler struct {
	opts   Options
	log    *slog.Logger
	router *route.Router[*target]
	routes []Route
	info   []byte // /.well-known/spin/info body

	pool     sync.Pool // *requestBuilder scratch buffers
	comps    []*host.Module
	filesDir string    // copies of the components' files; removed by release
	once     sync.Once // runs release

	filesLock io.Closer                   // held while filesDir is in use
	limits    map[string]*componentLimits // by component id
	bodies    byteBudget                  // Options.MaxBodyBytesInFlight
	// wait is how long a request may wait for its component's share or
	// for body room: the request's timeout (Options.Timeout, else the
	// engine's); negative means until its context ends.
	wait time.Duration

	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

// target is what a route runs, with the spin-* values that depend only on
// the route precomputed.
type target struct {
	comp     *host.Module
	id       string
	executor manifest.Executor
	pattern  route.Pattern
	limits   *componentLimits // shared by the component's routes
	// constant spin-* header values
	matched, base, raw, compRoute string
}

// New builds a Handler for app: it compiles every component an HTTP
// trigger uses (in parallel, through engine), renders their variables,
// and checks everything a request would otherwise fail on. Every problem
// found is reported at once (errors.Join): an unreadable or invalid wasm
// file, a component lacking an export its executor needs, a key-value
// store label that stores does not resolve (ErrUndefinedStore; one
// "Component <id> uses store '<label>'" error per label, as Spin says it),
// a trigger naming an unknown component, an unsupported executor, an
// unresolvable variable, and two routes that compile to the same pattern
// (ErrRouteConflict; Spin 1.x logs these and lets the later one win,
// Spindle refuses them).
//
// stores resolves store labels; nil means no stores. ctx bounds start-up
// only. Triggers with a private route are not served.
func New(ctx context.Context, app *manifest.App, engine *host.Engine, stores kv.Resolver, opts *Options) (*Handler, error) {
	if app == nil || engine == nil {
		return nil, errors.New("httptrigger: New needs an app and an engine")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Variables == nil {
		o.Variables = EnvVariables
	}
	o.setLimitDefaults()
	h := &Handler{opts: o, log: o.Logger, limits: map[string]*componentLimits{}}
	h.bodies.size = max(o.MaxBodyBytesInFlight, 0)
	h.wait = o.Timeout
	if h.wait == 0 {
		h.wait = engine.Timeout()
	}

	var errs []error
	used := map[string]bool{} // component ids already configured
	var cfgs []host.Config
	var patterns []route.Pattern
	var targets []*target
	for _, trig := range app.HTTPTriggers {
		if trig.Private {
			continue
		}
		ex := trig.Executor
		switch ex.Type {
		case "", manifest.ExecutorSpin, "http":
			ex.Type = manifest.ExecutorSpin
		case manifest.ExecutorWagi:
			if ex.Entrypoint == "" {
				ex.Entrypoint = manifest.DefaultWagiEntrypoint
			}
			if ex.Argv == "" {
				ex.Argv = manifest.DefaultWagiArgv
			}
		default:
			// manifest.Load refuses other types; an App built by hand may not.
			errs = append(errs, fmt.Errorf("httptrigger: trigger %q (component %q): %w: executor type %q", trig.ID, trig.Component, manifest.ErrInvalidValue, ex.Type))
			continue
		}
		c, ok := app.Component(trig.Component)
		if !ok {
			// manifest.Load refuses this too; an App built by hand may not.
			errs = append(errs, fmt.Errorf("httptrigger: trigger %q: %w %q", trig.ID, manifest.ErrUnknownComponent, trig.Component))
			continue
		}
		p := route.Compile(app.HTTPBase, trig.Route)
		t := &target{
			id: c.ID, executor: ex, pattern: p,
			matched: p.Matched(), base: app.HTTPBase, raw: trig.Route, compRoute: p.ComponentRoute(),
		}
		t.limits = h.componentLimits(c.ID)
		patterns = append(patterns, p)
		targets = append(targets, t)
		h.routes = append(h.routes, Route{Pattern: p.Matched(), Raw: trig.Route, Wildcard: p.Wildcard, Component: c.ID, Executor: ex.Type})
		if used[c.ID] {
			continue
		}
		used[c.ID] = true
		cfg, err := h.componentConfig(ctx, app, c, stores)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfgs = append(cfgs, cfg)
	}
	router, err := route.NewRouter(patterns, targets)
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrRouteConflict, err))
	}
	h.router = router
	if len(errs) > 0 {
		h.release()
		return nil, errors.Join(errs...)
	}

	start := time.Now()
	comps, err := engine.CompileAll(ctx, cfgs)
	if err != nil {
		h.release()
		return nil, fmt.Errorf("httptrigger: %w", err)
	}
	h.comps = comps
	byID := make(map[string]*host.Module, len(comps))
	for i, c := range comps {
		byID[cfgs[i].ID] = c
	}
	for _, t := range targets {
		t.comp = byID[t.id]
		if err := checkExports(t); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		h.release()
		return nil, errors.Join(errs...)
	}
	h.info = appInfo(app)
	h.log.Info("httptrigger: ready", "app", app.Name, "routes", len(h.routes), "components", len(comps), "elapsed", time.Since(start))
	return h, nil
}

// componentConfig reads c's wasm, resolves its variables and checks its
// store labels.
func (h *Handler) componentConfig(ctx context.Context, app *manifest.App, c *manifest.Component, stores kv.Resolver) (host.Config, error) {
	var errs []error
	wasm, err := app.ReadSource(c)
	if err != nil {
		errs = append(errs, fmt.Errorf("httptrigger: %w", err)) // names the component
	}
	vars, err := app.ResolveVariables(c.ID, h.opts.Variables)
	if err != nil {
		errs = append(errs, fmt.Errorf("httptrigger: component %q: %w", c.ID, err))
	}
	for _, label := range c.KeyValueStores {
		if stores == nil {
			errs = append(errs, fmt.Errorf("%w: Component %s uses store '%s'", ErrUndefinedStore, c.ID, label))
			continue
		}
		if _, err := stores.Resolve(ctx, label); err != nil {
			if errors.Is(err, kv.ErrNoSuchStore) {
				errs = append(errs, fmt.Errorf("%w: Component %s uses store '%s'", ErrUndefinedStore, c.ID, label))
			} else {
				errs = append(errs, fmt.Errorf("httptrigger: component %q store %q: %w", c.ID, label, err))
			}
		}
	}
	files, err := h.files(app, c)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return host.Config{}, errors.Join(errs...)
	}
	return host.Config{
		ID:             c.ID,
		Wasm:           wasm,
		Source:         c.Source.Path,
		Environment:    c.Environment,
		Files:          files,
		KeyValueStores: c.KeyValueStores,
		Stores:         stores,
		Variables:      vars,
	}, nil
}

// spinExports are the function exports the Spin executor needs
// (v1.5.1:wit/ephemeral/spin-http.wit in the old wit-bindgen ABI); it
// also needs a memory export called "memory".
var spinExports = [...]string{"handle-http-request", "canonical_abi_realloc", "canonical_abi_free"}

func checkExports(t *target) error {
	var missing []string
	if t.executor.Type == manifest.ExecutorWagi {
		if !t.comp.HasExport(t.executor.Entrypoint) {
			missing = append(missing, t.executor.Entrypoint)
		}
	} else {
		for _, name := range spinExports {
			if !t.comp.HasExport(name) {
				missing = append(missing, name)
			}
		}
		if !t.comp.HasMemory() {
			missing = append(missing, "memory")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	hint := ""
	if t.executor.Type == manifest.ExecutorSpin && !t.comp.HasExport("canonical_abi_free") && t.comp.HasExport("_start") {
		hint = " (is it a WAGI module? set executor = { type = \"wagi\" })"
	}
	return fmt.Errorf("httptrigger: component %q (%s executor): %w: does not export %s%s",
		t.id, t.executor.Type, host.ErrMissingExport, strings.Join(missing, ", "), hint)
}

// Routes returns the routes the handler serves, in manifest order.
func (h *Handler) Routes() []Route {
	out := make([]Route, len(h.routes))
	copy(out, h.routes)
	return out
}

// Close stops taking requests (later ones get 503 Service Unavailable),
// then waits for the requests in flight to finish or for ctx to end,
// whichever comes first. When they have finished it releases the compiled
// components and returns nil. When ctx ends first it returns ctx's error,
// the remaining requests keep running until their own deadlines, and the
// components stay alive: call Close again to wait for them and release
// them. Close does not close the engine or the stores, which the caller
// owns. Calling Close again is safe.
func (h *Handler) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return h.release()
	case <-ctx.Done():
		return fmt.Errorf("httptrigger: close: %w", ctx.Err())
	}
}

// release closes the compiled components, once.
func (h *Handler) release() error {
	var errs []error
	h.once.Do(func() {
		h.flushFailures()
		for _, c := range h.comps {
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := h.releaseFiles(); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}

// begin registers a request; it reports false once Close has been called.
func (h *Handler) begin() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// ServeHTTP serves r: the built-in /.well-known/spin/ endpoints first,
// then the matching route's component; 404 with an empty body when no
// route matches.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.begin() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	path := r.URL.EscapedPath()
	if rest, ok := strings.CutPrefix(path, wellKnownPrefix); ok {
		h.wellKnown(w, rest)
		return
	}
	_, t, ok := h.router.Route(path)
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	adm, status := h.admit(r, t, time.Now())
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	defer adm.done()
	if t.executor.Type == manifest.ExecutorWagi {
		h.serveWagi(w, r, t, path)
		return
	}
	h.serveSpin(w, r, t, path)
}
