package runtimeconfig

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spindlekv/spindle/kv"
	kvredis "github.com/spindlekv/spindle/kv/redis"
	"github.com/spindlekv/spindle/kv/sqlite"
)

// OpenOptions configures Config.Open. A nil *OpenOptions, and every zero
// field, means the default. Open copies what it uses.
type OpenOptions struct {
	// Logger receives one warning per ignored Spin section of the file.
	// Nil means slog.Default() as of the call to Open.
	Logger *slog.Logger
	// SQLite is passed to sqlite.Open for every "spin" store, including
	// the default one. Nil means sqlite's defaults.
	SQLite *sqlite.Options
}

// StateDirFor returns the state directory by Spin's precedence
// (v1.5.1:crates/trigger/src/runtime_config.rs): flag, the value of a --state-dir option (nil when the
// option was not given; "" explicitly means none); else the file's
// state_dir (again "" means none); else <appDir>/.spin for an app with a
// local directory; else "". An empty result means no state directory: the
// default store is then in memory. c may be nil (no runtime-config file).
func (c *Config) StateDirFor(flag *string, appDir string) string {
	switch {
	case flag != nil:
		return *flag
	case c != nil && c.HasStateDir:
		return c.StateDir
	case appDir != "":
		return filepath.Join(appDir, ".spin")
	}
	return ""
}

// Open opens every store of the configuration and returns a Resolver for
// them. c may be nil: only the default store is then defined.
//
// The label "default" is always defined: when the file does not configure
// it, it is the SQLite file <stateDir>/sqlite_key_value.db (the directory is
// created), or an in-memory SQLite database when stateDir is "". Labels of
// type "spin" with the same path share one *sqlite.DB (one writer
// connection); labels of type "spin" without a path share one in-memory
// database, each with its own keys. Labels of type "redis" with the same URL
// share one go-redis client (connection pool); without key_prefix they also
// share one keyspace, as in Spin.
//
// Open is eager for SQLite, so that a file that cannot be created fails at
// start-up, and lazy for Redis: it does not contact the server, whose
// absence shows as errors matching kv/redis.ErrUnavailable on first use,
// and which the stores reconnect to when it comes back. If Open fails it
// closes whatever it opened.
func (c *Config) Open(ctx context.Context, stateDir string, opts *OpenOptions) (*Resolver, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("runtimeconfig: open: %w", err)
	}
	var o OpenOptions
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	stores := map[string]KeyValueStore{}
	if c != nil {
		for _, ig := range c.Ignored {
			o.Logger.Warn("runtimeconfig: section ignored by Spindle", "section", ig.Section, "position", ig.Pos.String())
		}
		for label, s := range c.KeyValueStores {
			stores[label] = s
		}
	}
	if _, ok := stores[DefaultLabel]; !ok {
		d := KeyValueStore{Label: DefaultLabel, Type: TypeSpin}
		if stateDir != "" {
			d.Path = filepath.Join(stateDir, DefaultStoreFile)
		}
		stores[DefaultLabel] = d
	}

	r := &Resolver{
		stores:  map[string]kv.Store{},
		dbs:     map[string]*sqlite.DB{},
		clients: map[string]*goredis.Client{},
	}
	labels := make([]string, 0, len(stores))
	for label := range stores {
		labels = append(labels, label)
	}
	slices.Sort(labels)
	for _, label := range labels {
		s := stores[label]
		st, err := r.open(ctx, s, o.SQLite)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("runtimeconfig: open store %q: %w", label, err)
		}
		r.stores[label] = st
	}
	return r, nil
}

// open opens the store of s. The store it returns is shared by every
// caller of Resolve, so its Close does nothing: a "spin" label is the
// DB's own view (sqlite.DB.Resolve), closed by DB.Close; a "redis" label is
// a redisView, whose Store Resolver.Close closes.
func (r *Resolver) open(ctx context.Context, s KeyValueStore, sqliteOpts *sqlite.Options) (kv.Store, error) {
	switch s.Type {
	case TypeSpin:
		path := s.Path
		if path == "" {
			path = sqlite.Memory
		}
		db := r.dbs[path]
		if db == nil {
			var err error
			if db, err = sqlite.Open(path, sqliteOpts); err != nil {
				return nil, err
			}
			r.dbs[path] = db
		}
		return db.Resolve(ctx, s.Label)
	case TypeRedis:
		client := r.clients[s.URL]
		if client == nil {
			copts, err := kvredis.ParseURL(s.URL)
			if err != nil {
				return nil, err
			}
			client = goredis.NewClient(copts)
			r.clients[s.URL] = client
		}
		st := kvredis.New(client, &kvredis.Options{KeyPrefix: s.KeyPrefix})
		r.redis = append(r.redis, st)
		return redisView{st}, nil
	default:
		return nil, fmt.Errorf("%w: unknown store type %q", ErrInvalid, s.Type)
	}
}

// redisView is the store Resolve returns for a "redis" label: the
// kvredis.Store with every method and capability, but a Close that does
// nothing. Resolver.Close closes the Store.
type redisView struct{ *kvredis.Store }

// Close does nothing and returns nil: the Resolver owns the store.
func (redisView) Close() error { return nil }

// Resolver is the kv.Resolver of an opened runtime configuration: a fixed
// set of labels, each with its Store. It owns the stores, the SQLite
// databases and the Redis clients, and closes them in Close.
//
// A Resolver is safe for concurrent use by multiple goroutines.
type Resolver struct {
	mu      sync.Mutex
	closed  bool
	stores  map[string]kv.Store // what Resolve returns, by label
	dbs     map[string]*sqlite.DB
	redis   []*kvredis.Store // behind the redisViews in stores
	clients map[string]*goredis.Client
}

var _ kv.Resolver = (*Resolver)(nil)

// Resolve returns the Store of label, the same one on every call, or an
// error matching kv.ErrNoSuchStore for a label the configuration does not
// define (kv.ErrClosed after Close). The Resolver keeps ownership of the
// Store, which every caller shares: its Close does nothing, and
// Resolver.Close closes it.
func (r *Resolver) Resolve(_ context.Context, label string) (kv.Store, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("runtimeconfig: resolve %q: %w", label, kv.ErrClosed)
	}
	s, ok := r.stores[label]
	if !ok {
		return nil, fmt.Errorf("runtimeconfig: resolve %q: %w", label, kv.ErrNoSuchStore)
	}
	return s, nil
}

// Labels returns the defined labels in ascending order, "default"
// included. It can be used to check a component's key_value_stores at
// start-up.
func (r *Resolver) Labels() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	labels := make([]string, 0, len(r.stores))
	for l := range r.stores {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	return labels
}

// Close closes every store, SQLite database and Redis client the Resolver
// opened. Later calls of the stores return errors matching kv.ErrClosed,
// and later calls of Resolve too. Close is idempotent; only the first call
// can return an error, which joins every failure.
func (r *Resolver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	for _, s := range r.redis {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, db := range r.dbs {
		if err := db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range r.clients {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("runtimeconfig: close redis client: %w", err))
		}
	}
	return errors.Join(errs...)
}
