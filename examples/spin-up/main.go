package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/manifest"
)

// Defaults of the command-line flags.
const (
	// DefaultManifest is the manifest read when -f is not given.
	DefaultManifest = "spin.toml"
	// DefaultListen is the address served when --listen is not given.
	DefaultListen = "127.0.0.1:3000"
	// ShutdownTimeout is the default --shutdown-timeout: the grace period
	// for in-flight requests after SIGINT or SIGTERM, after which the
	// remaining connections are closed.
	ShutdownTimeout = 10 * time.Second
)

// Defaults of the server flags: every connection a client holds is
// bounded in time, so slow or stuck clients cannot pin descriptors or
// buffered responses (Spindle's; spin up sets none of these).
const (
	// DefaultReadHeaderTimeout bounds reading a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout (--read-timeout) bounds reading a whole request,
	// body included.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout (--write-timeout) bounds a request from the end
	// of its headers to the end of its response: body, guest (at most
	// host.DefaultTimeout) and writing the response.
	DefaultWriteTimeout = 90 * time.Second
	// DefaultIdleTimeout (--idle-timeout) closes a keep-alive connection
	// left idle this long.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultMaxHeaderBytes (--max-header-bytes) bounds a request's
	// header section.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultMaxConnections (--max-connections) is how many connections
	// are served at once; further ones wait in the listen backlog.
	DefaultMaxConnections = 512
)

// serverFlags are the HTTP server's limits.
type serverFlags struct {
	readTimeout, writeTimeout, idleTimeout, shutdownTimeout time.Duration
	maxHeaderBytes, maxConnections                          int
}

// defaultServerFlags are the server flags' defaults.
var defaultServerFlags = serverFlags{
	readTimeout: DefaultReadTimeout, writeTimeout: DefaultWriteTimeout, idleTimeout: DefaultIdleTimeout,
	shutdownTimeout: ShutdownTimeout, maxHeaderBytes: DefaultMaxHeaderBytes, maxConnections: DefaultMaxConnections,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "spin-up: "+oneLine(err))
		stop()
		os.Exit(1)
	}
}

// oneLine flattens a (possibly joined) error into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// errUsage marks command-line mistakes.
var errUsage = errors.New("invalid command line")

// config is the parsed command line.
type config struct {
	from              string
	listen            string
	stateDir          string
	stateDirSet       bool
	runtimeConfigFile string
	keyValues         keyValues
	build             bool
	cacheDir          string
	cacheDirSet       bool
	server            serverFlags
}

// keyValues collects repeated --key-value KEY=VALUE flags.
type keyValues [][2]string

func (kvs *keyValues) String() string { return "" }

func (kvs *keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("key/values must be of the form key=value")
	}
	*kvs = append(*kvs, [2]string{k, v})
	return nil
}

// parseFlags parses args; -f and --from (and --listen, -listen…) are the
// same flag, single or double dash.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fset := flag.NewFlagSet("spin-up", flag.ContinueOnError)
	fset.SetOutput(io.Discard) // errors are returned as one line; -h prints usage
	fset.Usage = func() {}     // printed below for -h only
	usage := func() {
		fmt.Fprint(stderr, `Usage: spin-up [flags]

Serves a Spin application (spin.toml) over HTTP, like 'spin up'.

Flags:
  -f, --from PATH               manifest file or its directory (default ./spin.toml)
      --listen ADDR             address to serve on (default 127.0.0.1:3000)
      --state-dir DIR           directory for the default key-value store
                                (default .spin beside the manifest; "" = in memory)
      --runtime-config-file F   Spin runtime-config file (key_value_store tables, state_dir)
      --key-value KEY=VALUE     seed the default store before serving (repeatable)
      --build                   run each component's build command first
      --cache-dir DIR           compiled-module cache, trusted code (default
                                the user cache dir's spindle/modules; "" = none;
                                a Spindle extension)

Server limits (Spindle extensions; --read-timeout or --write-timeout 0 = none,
--idle-timeout 0 = the read timeout):
      --read-timeout D          reading a whole request, body included (default 30s)
      --write-timeout D         end of headers to end of response (default 1m30s)
      --idle-timeout D          idle keep-alive connections (default 30s)
      --max-header-bytes N      request header section (default 65536; 0 = Go's 1 MiB)
      --max-connections N       connections served at once (default 512)
      --shutdown-timeout D      grace period after SIGINT/SIGTERM (default 10s; 0 = close at once)
`)
	}
	fset.StringVar(&c.from, "f", DefaultManifest, "")
	fset.StringVar(&c.from, "from", DefaultManifest, "")
	fset.StringVar(&c.listen, "listen", DefaultListen, "")
	fset.StringVar(&c.stateDir, "state-dir", "", "")
	fset.StringVar(&c.runtimeConfigFile, "runtime-config-file", "", "")
	fset.Var(&c.keyValues, "key-value", "")
	fset.BoolVar(&c.build, "build", false, "")
	fset.StringVar(&c.cacheDir, "cache-dir", "", "")
	c.server = defaultServerFlags
	fset.DurationVar(&c.server.readTimeout, "read-timeout", c.server.readTimeout, "")
	fset.DurationVar(&c.server.writeTimeout, "write-timeout", c.server.writeTimeout, "")
	fset.DurationVar(&c.server.idleTimeout, "idle-timeout", c.server.idleTimeout, "")
	fset.IntVar(&c.server.maxHeaderBytes, "max-header-bytes", c.server.maxHeaderBytes, "")
	fset.IntVar(&c.server.maxConnections, "max-connections", c.server.maxConnections, "")
	fset.DurationVar(&c.server.shutdownTimeout, "shutdown-timeout", c.server.shutdownTimeout, "")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v (see -h)", errUsage, err)
	}
	if fset.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q (see -h)", errUsage, fset.Arg(0))
	}
	fset.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "state-dir":
			c.stateDirSet = true
		case "cache-dir":
			c.cacheDirSet = true
		}
	})
	return c, nil
}

// run is the whole command: it returns when ctx is cancelled (after a
// graceful shutdown) or on a start-up error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	if cfg.build {
		// Build before loading for real: the manifest is read once to find
		// the commands, and again below (Spin does the same).
		app, err := manifest.Load(cfg.from, nil)
		if err != nil {
			return fmt.Errorf("loading manifest: %w", err)
		}
		if err := buildApp(ctx, app, stdout, stderr); err != nil {
			return err
		}
	}
	app, err := manifest.Load(cfg.from, nil)
	if err != nil {
		return fmt.Errorf("loading manifest: %w", err)
	}
	if err := checkSources(app); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another server running there? choose another address with --listen): %w", cfg.listen, err)
	}
	defer ln.Close()

	stateDir, stores, err := openStores(ctx, app, cfg, log)
	if err != nil {
		return err
	}
	defer stores.Close()
	if err := seed(ctx, stores, cfg.keyValues); err != nil {
		return err
	}

	engOpts := &host.Options{Logger: log, CacheDir: cfg.cacheDir}
	if !cfg.cacheDirSet {
		// Per user, never in the app: a cache entry is native code.
		dir, err := host.DefaultCacheDir()
		if err != nil {
			log.Warn("compiling without a cache", "err", err)
		}
		engOpts.CacheDir = dir
	}
	engine, err := host.NewEngine(engOpts)
	if err != nil {
		return err
	}
	defer engine.Close()

	// The files snapshot lives in the state directory (a stale one is
	// reclaimed at the next start); neither it nor the cache is ever
	// exposed through files.
	htOpts := &httptrigger.Options{Logger: log, FilesDir: stateDir}
	for _, d := range []string{stateDir, engOpts.CacheDir} {
		if d != "" {
			htOpts.PrivateDirs = append(htOpts.PrivateDirs, d)
		}
	}
	handler, err := httptrigger.New(ctx, app, engine, stores, htOpts)
	if err != nil {
		if ctx.Err() != nil { // SIGINT while compiling: not a failure
			log.Info("interrupted before serving")
			return nil
		}
		return fmt.Errorf("starting app %q: %w", app.Name, err)
	}

	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Serving %s\nAvailable Routes:\n", base)
	for _, r := range handler.Routes() {
		p, wildcard := strings.CutSuffix(r.Pattern, "/...")
		line := fmt.Sprintf("  %s: %s%s", r.Component, base, p)
		if wildcard || r.Wildcard {
			line += " (wildcard)"
		}
		fmt.Fprintln(stdout, line)
	}

	srv := newServer(logRequests(log, handler), &cfg.server, log)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(limitListener(ln, cfg.server.maxConnections)) }()

	select {
	case err := <-serveErr:
		handler.Close(context.Background())
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown(srv, handler, cfg.server.shutdownTimeout, log)
	return nil
}

// checkSources fails with an actionable message when a component's wasm
// file is missing, before anything is compiled.
func checkSources(app *manifest.App) error {
	var errs []error
	for i := range app.Components {
		c := &app.Components[i]
		p, err := app.SourcePath(c)
		if err != nil {
			continue // remote sources: httptrigger reports them
		}
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			hint := "check the component's source path"
			if c.Build != nil && len(c.Build.Command) > 0 {
				hint = "build it first: run with --build"
			}
			errs = append(errs, fmt.Errorf("component %q: wasm file %s does not exist (%s)", c.ID, p, hint))
		}
	}
	return errors.Join(errs...)
}

// buildApp runs every component's build command with sh -c in its workdir
// (relative to the manifest directory), streaming the output, as spin build
// does.
func buildApp(ctx context.Context, app *manifest.App, stdout, stderr io.Writer) error {
	built := 0
	for _, c := range app.Components {
		if c.Build == nil || len(c.Build.Command) == 0 {
			fmt.Fprintf(stdout, "No build command for component %q\n", c.ID)
			continue
		}
		dir := app.Dir
		if c.Build.Workdir != "" {
			dir = filepath.Join(app.Dir, filepath.FromSlash(c.Build.Workdir))
		}
		for _, command := range c.Build.Command {
			fmt.Fprintf(stdout, "Building component %s with `%s`\n", c.ID, command)
			cmd := exec.CommandContext(ctx, "sh", "-c", command)
			cmd.Dir = dir
			cmd.Stdout, cmd.Stderr = stdout, stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("build command for component %q failed (`%s` in %s): %w", c.ID, command, dir, err)
			}
		}
		built++
	}
	if built > 0 {
		fmt.Fprintln(stdout, "Finished building all Spin components")
	}
	return nil
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs each request's method, path, status and duration.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}
