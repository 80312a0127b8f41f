package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/spindlekv/spindle/manifest"
)

// openRuntimeConfig opens the stores described by --runtime-config-file.
func openRuntimeConfig(ctx context.Context, app *manifest.App, cfg *config, log *slog.Logger) (string, storeSet, error) {
	return "", nil, errors.New("--runtime-config-file is not supported yet")
}
