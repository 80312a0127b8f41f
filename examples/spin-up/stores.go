package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/runtimeconfig"
	"github.com/spindlekv/spindle/manifest"
)

// DefaultStoreFile is the default store's SQLite file inside the state
// directory (v1.5.1:crates/trigger/src/runtime_config.rs).
const DefaultStoreFile = runtimeconfig.DefaultStoreFile

// openStores opens the stores the app may use, as spin up does: those of
// --runtime-config-file when given, plus the "default" store (unless the
// file defines it): SQLite in the state directory, or in memory when there
// is none. The state directory follows v1.5.1:crates/trigger/src/runtime_config.rs: --state-dir (an explicit
// "" means none), else the file's state_dir, else .spin beside the
// manifest; a relative one is made absolute against the working directory,
// as Spin 3 does. It returns the state directory ("" for none).
func openStores(ctx context.Context, app *manifest.App, cfg *config, log *slog.Logger) (string, *runtimeconfig.Resolver, error) {
	var rc *runtimeconfig.Config
	if cfg.runtimeConfigFile != "" {
		var err error
		if rc, err = runtimeconfig.Load(cfg.runtimeConfigFile); err != nil {
			return "", nil, fmt.Errorf("loading runtime config: %w", err)
		}
	}
	var flag *string
	if cfg.stateDirSet {
		flag = &cfg.stateDir
	}
	stateDir := rc.StateDirFor(flag, app.Dir)
	if stateDir != "" {
		abs, err := filepath.Abs(stateDir)
		if err != nil {
			return "", nil, fmt.Errorf("state directory: %w", err)
		}
		stateDir = abs
	} else {
		log.Info("no state directory: the default key-value store is in memory")
	}
	stores, err := rc.Open(ctx, stateDir, &runtimeconfig.OpenOptions{Logger: log})
	if err != nil {
		return "", nil, fmt.Errorf("opening key-value stores: %w", err)
	}
	return stateDir, stores, nil
}

// seed writes every --key-value pair into the default store before the app
// serves (v1.5.1:crates/common/src/arg_parser.rs).
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
