package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
	"github.com/spindlekv/spindle/kv/sqlite"
	"github.com/spindlekv/spindle/manifest"
)

// DefaultStoreFile is the default store's SQLite file inside the state
// directory (spec §5.2).
const DefaultStoreFile = "sqlite_key_value.db"

// storeSet is the label -> store wiring the runner serves, with what must
// be closed at exit.
type storeSet interface {
	kv.Resolver
	Close() error
}

// resolveStateDir applies spec §5.2: --state-dir (an explicit "" means
// none), else the runtime config's state_dir, else .spin beside the
// manifest. A relative directory is made absolute against the working
// directory, as Spin 3 does. "" means no state directory: the default store
// is then in memory.
func resolveStateDir(app *manifest.App, cfg *config, fromFile string, fileSet bool) (string, error) {
	dir := filepath.Join(app.Dir, DefaultStateDirName)
	switch {
	case cfg.stateDirSet:
		dir = cfg.stateDir
	case fileSet:
		dir = fromFile
	}
	if dir == "" {
		return "", nil
	}
	return filepath.Abs(dir)
}

// openStores opens the stores the app may use: the runtime config's when a
// file is given, and the default store (SQLite in the state directory, or
// memory when there is none).
func openStores(ctx context.Context, app *manifest.App, cfg *config, log *slog.Logger) (string, storeSet, error) {
	if cfg.runtimeConfigFile != "" {
		return openRuntimeConfig(ctx, app, cfg, log)
	}
	stateDir, err := resolveStateDir(app, cfg, "", false)
	if err != nil {
		return "", nil, err
	}
	if stateDir == "" {
		log.Info("no state directory: the default key-value store is in memory")
		return "", memorySet{kv.Stores{"default": memory.New()}}, nil
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return "", nil, fmt.Errorf("creating state directory: %w", err)
	}
	db, err := sqlite.Open(filepath.Join(stateDir, DefaultStoreFile), nil)
	if err != nil {
		return "", nil, fmt.Errorf("opening the default key-value store: %w", err)
	}
	return stateDir, db, nil
}

// memorySet is an in-memory store set.
type memorySet struct{ kv.Stores }

func (m memorySet) Close() error {
	var errs []error
	for _, s := range m.Stores {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// seed writes every --key-value pair into the default store before the app
// serves (spec §5.5).
func seed(ctx context.Context, stores kv.Resolver, pairs keyValues) error {
	if len(pairs) == 0 {
		return nil
	}
	s, err := stores.Resolve(ctx, "default")
	if err != nil {
		return fmt.Errorf("seeding key/values: %w", err)
	}
	for _, p := range pairs {
		if err := s.Set(ctx, p[0], []byte(p[1])); err != nil {
			return fmt.Errorf("seeding key/value %q: %w", p[0], err)
		}
	}
	return nil
}
