package guestbuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// GoTool returns the go command to build with: $GOROOT/bin/go when it
// exists, else go from PATH.
func GoTool() (string, error) {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p, nil
	}
	return exec.LookPath("go")
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// BuildWasm compiles the Go package in pkgDir as a WASI reactor
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) into out. The error
// carries the compiler output.
func BuildWasm(ctx context.Context, pkgDir, out string) error {
	gotool, err := GoTool()
	if err != nil {
		return fmt.Errorf("no go command to build the guest with: %w", err)
	}
	cmd := exec.CommandContext(ctx, gotool, "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the guest in %s: %w\n%s", pkgDir, err, b)
	}
	return nil
}

// Build is BuildWasm for a test: it fails tb on error.
func Build(tb testing.TB, pkgDir, out string) {
	tb.Helper()
	if err := BuildWasm(tb.Context(), pkgDir, out); err != nil {
		tb.Fatal(err)
	}
}
