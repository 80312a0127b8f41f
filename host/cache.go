package host

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// cacheMagic starts every cache file; the SHA-256 of the payload follows,
// then wasmtime's serialized module.
var cacheMagic = []byte("spindle-cwasm-1\n")

// cachePath returns the cache file for wasm under the engine's settings.
func (e *Engine) cachePath(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	key := sha256.Sum256([]byte(e.fingerprint + "\x00" + hex.EncodeToString(sum[:])))
	return filepath.Join(e.opts.CacheDir, hex.EncodeToString(key[:])+".cwasm")
}

// compileModule returns the compiled module for wasm, from the cache when a
// valid entry exists. A missing, corrupt or incompatible entry is
// recompiled and rewritten.
func (e *Engine) compileModule(id string, wasm []byte) (*wasmtime.Module, error) {
	var path string
	if e.opts.CacheDir != "" {
		path = e.cachePath(wasm)
		start := time.Now()
		m, err := e.loadCached(path)
		if err == nil {
			e.log.Info("host: loaded compiled module from cache", "component", id, "path", path, "elapsed", time.Since(start))
			return m, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			e.log.Warn("host: ignoring compile cache entry", "component", id, "path", path, "err", err)
		}
	}
	start := time.Now()
	m, err := wasmtime.NewModule(e.wt, wasm)
	if err != nil {
		return nil, err
	}
	e.log.Info("host: compiled module", "component", id, "bytes", len(wasm), "elapsed", time.Since(start))
	if path != "" {
		if err := e.storeCached(path, m); err != nil {
			e.log.Warn("host: writing compile cache entry", "component", id, "path", path, "err", err)
		}
	}
	return m, nil
}

func (e *Engine) loadCached(path string) (*wasmtime.Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < len(cacheMagic)+sha256.Size || !bytes.Equal(b[:len(cacheMagic)], cacheMagic) {
		return nil, errors.New("not a spindle cache file")
	}
	want := b[len(cacheMagic) : len(cacheMagic)+sha256.Size]
	payload := b[len(cacheMagic)+sha256.Size:]
	if got := sha256.Sum256(payload); !bytes.Equal(got[:], want) {
		return nil, errors.New("checksum mismatch")
	}
	return wasmtime.NewModuleDeserialize(e.wt, payload)
}

// storeCached writes the serialized module atomically: a temporary file in
// the same directory, then rename.
func (e *Engine) storeCached(path string, m *wasmtime.Module) error {
	payload, err := m.Serialize()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.cwasm")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(payload)
	_, err = f.Write(append(append(append([]byte(nil), cacheMagic...), sum[:]...), payload...))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
