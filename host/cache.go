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
	"runtime"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// DefaultCacheDir returns the per-user directory for compiled modules:
// "spindle/modules" under os.UserCacheDir (on Linux $XDG_CACHE_HOME or
// ~/.cache). It is outside every application directory, as a cache must
// be (see Options.CacheDir). It fails where os.UserCacheDir does.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("host: compile cache directory: %w", err)
	}
	return filepath.Join(dir, "spindle", "modules"), nil
}

// cacheMagic starts every cache file. The header goes on with the SHA-256
// of the wasm the entry was compiled from, the SHA-256 of the engine
// fingerprint and the SHA-256 of the payload, wasmtime's serialized module,
// which follows. Loading checks all three: an entry copied or renamed from
// another wasm or engine is refused, not run.
var cacheMagic = []byte("spindle-cwasm-2\n")

const cacheHeaderSize = 16 + 3*sha256.Size // len(cacheMagic) + three sums

// cachePath returns the cache file for wasm under the engine's settings.
func (e *Engine) cachePath(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	key := sha256.Sum256([]byte(e.fingerprint + "\x00" + hex.EncodeToString(sum[:])))
	return filepath.Join(e.opts.CacheDir, hex.EncodeToString(key[:])+".cwasm")
}

// cacheHeader returns the header of the entry for wasm and payload.
func (e *Engine) cacheHeader(wasm, payload []byte) []byte {
	h := append(make([]byte, 0, cacheHeaderSize+len(payload)), cacheMagic...)
	for _, b := range [][]byte{wasm, []byte(e.fingerprint), payload} {
		sum := sha256.Sum256(b)
		h = append(h, sum[:]...)
	}
	return h
}

// checkCacheDir creates the cache directory (mode 0700) if it is missing
// and reports why it must not be used if others can write to it: whoever
// can write an entry there chooses native code this process runs.
func (e *Engine) checkCacheDir() error {
	dir := e.opts.CacheDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by other users (mode %v)", dir, fi.Mode().Perm())
	}
	return checkCacheDirOwner(dir, fi)
}

// compileModule returns the compiled module for wasm, from the cache when a
// valid entry exists. A missing, corrupt or incompatible entry is
// recompiled and rewritten.
func (e *Engine) compileModule(id string, wasm []byte) (*wasmtime.Module, error) {
	var path string
	if e.opts.CacheDir != "" {
		if err := e.checkCacheDir(); err != nil {
			e.log.Warn("host: not using the compile cache", "component", id, "err", err)
		} else {
			path = e.cachePath(wasm)
			start := time.Now()
			m, err := e.loadCached(path, wasm)
			if err == nil {
				e.log.Info("host: loaded compiled module from cache", "component", id, "path", path, "elapsed", time.Since(start))
				return m, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				e.log.Warn("host: ignoring compile cache entry", "component", id, "path", path, "err", err)
			}
		}
	}
	start := time.Now()
	m, err := wasmtime.NewModule(e.wt, wasm)
	if err != nil {
		return nil, cleanError(err)
	}
	e.log.Info("host: compiled module", "component", id, "bytes", len(wasm), "elapsed", time.Since(start))
	if path != "" {
		if err := e.storeCached(path, wasm, m); err != nil {
			e.log.Warn("host: writing compile cache entry", "component", id, "path", path, "err", err)
		}
	}
	return m, nil
}

// loadCached deserializes the entry at path if its header says it was
// compiled from exactly wasm by an engine with e's settings.
func (e *Engine) loadCached(path string, wasm []byte) (*wasmtime.Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < cacheHeaderSize || !bytes.Equal(b[:len(cacheMagic)], cacheMagic) {
		return nil, errors.New("not a spindle cache file")
	}
	payload := b[cacheHeaderSize:]
	want := e.cacheHeader(wasm, payload)
	sums := b[len(cacheMagic):cacheHeaderSize]
	for k, what := range []string{"entry was compiled from other wasm", "entry was compiled with other engine settings", "checksum mismatch"} {
		off := len(cacheMagic) + k*sha256.Size
		if !bytes.Equal(sums[k*sha256.Size:(k+1)*sha256.Size], want[off:off+sha256.Size]) {
			return nil, errors.New(what)
		}
	}
	return wasmtime.NewModuleDeserialize(e.wt, payload)
}

// storeCached writes the serialized module atomically: a temporary file in
// the same directory, then rename.
func (e *Engine) storeCached(path string, wasm []byte, m *wasmtime.Module) error {
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
	_, err = f.Write(append(e.cacheHeader(wasm, payload), payload...))
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
