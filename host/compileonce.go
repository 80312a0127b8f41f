package host

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// sharedModule is one compilation of one wasm binary, shared by every
// Compile of the same bytes that overlaps it. done is closed once m and err
// are set; refs (guarded by Engine.sharedMu) counts the holders, and the
// last release closes m.
type sharedModule struct {
	key  [sha256.Size]byte
	done chan struct{}
	m    *wasmtime.Module
	err  error
	refs int
}

// holdModule returns the compiled module for wasm, compiling it (or loading
// it from the cache) unless a compilation of the same bytes is in flight or
// still held, in which case it waits for that one. The caller must call
// releaseModule once it no longer needs the module.
func (e *Engine) holdModule(ctx context.Context, id string, wasm []byte) (*sharedModule, error) {
	key := sha256.Sum256(wasm)
	e.sharedMu.Lock()
	s, ok := e.shared[key]
	if ok {
		s.refs++
		e.sharedMu.Unlock()
		select {
		case <-s.done:
		case <-ctx.Done():
			e.releaseModule(s)
			return nil, ctx.Err()
		}
		if s.err != nil {
			err := s.err
			e.releaseModule(s)
			return nil, err
		}
		return s, nil
	}
	s = &sharedModule{key: key, done: make(chan struct{}), refs: 1}
	e.shared[key] = s
	e.sharedMu.Unlock()
	s.m, s.err = e.compileModule(id, wasm)
	close(s.done)
	if s.err != nil {
		err := s.err
		e.releaseModule(s)
		return nil, err
	}
	return s, nil
}

// releaseModule drops one hold on s.
func (e *Engine) releaseModule(s *sharedModule) {
	e.sharedMu.Lock()
	s.refs--
	last := s.refs == 0
	if last && e.shared[s.key] == s {
		delete(e.shared, s.key)
	}
	e.sharedMu.Unlock()
	if last && s.m != nil {
		s.m.Close() // each InstancePre keeps what it needs
	}
}

// CompileAll compiles cfgs in parallel (up to GOMAXPROCS at a time) and
// returns the components in the same order. Components with identical
// wasm share one compilation. If any fail, it closes the ones that
// compiled and returns nil components and the errors.Join of every
// failure.
func (e *Engine) CompileAll(ctx context.Context, cfgs []Config) ([]*Module, error) {
	start := time.Now()
	out := make([]*Module, len(cfgs))
	errs := make([]error, len(cfgs))
	// One group per distinct wasm: its goroutine holds the module while it
	// links every component of the group, so the bytes compile once.
	groups := make(map[[sha256.Size]byte][]int)
	var order [][sha256.Size]byte
	for i := range cfgs {
		k := sha256.Sum256(cfgs[i].Wasm)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, k := range order {
		idx := groups[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for _, i := range idx {
					errs[i] = fmt.Errorf("host: compile component %q: %w", cfgs[i].ID, ctx.Err())
				}
				return
			}
			defer func() { <-sem }()
			first := cfgs[idx[0]]
			if len(idx) > 1 && len(first.Wasm) > 0 && checkWasm(first.Source, first.Wasm) == nil {
				if s, err := e.holdModule(ctx, first.ID, first.Wasm); err == nil {
					defer e.releaseModule(s)
				} // else each Compile reports the error
			}
			for _, i := range idx {
				out[i], errs[i] = e.Compile(ctx, cfgs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range out {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	e.log.Info("host: compiled components", "count", len(cfgs), "modules", len(order), "elapsed", time.Since(start))
	return out, nil
}
