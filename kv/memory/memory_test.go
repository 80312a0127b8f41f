package memory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/kvtest"
	"github.com/spindlekv/spindle/kv/memory"
)

func TestConformance(t *testing.T) {
	kvtest.Run(t, kvtest.Harness{
		ErrorPrefix: "kv/memory: ",
		Synctest:    true,
		NewBackend: func(t *testing.T) kvtest.Backend {
			r := memory.NewResolver()
			t.Cleanup(func() { r.Close() })
			return kvtest.Backend{
				Open: func(_ context.Context, label string) (kv.Store, error) {
					return r.Store(label)
				},
			}
		},
	})
}

func TestResolverConformance(t *testing.T) {
	kvtest.RunResolver(t, kvtest.ResolverHarness{
		ErrorPrefix: "kv/memory: ",
		NewResolver: func(t *testing.T) (kv.Resolver, func() error) {
			r := memory.NewResolver()
			t.Cleanup(func() { r.Close() })
			return r, r.Close
		},
	})
}

// TestStoreViews checks what the Resolver cases of kvtest do not: views
// from Resolver.Store belong to the caller, who can close them, and
// Resolver.Close closes them too.
func TestStoreViews(t *testing.T) {
	ctx := t.Context()
	r := memory.NewResolver()
	resolved, err := r.Resolve(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if err := resolved.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	view, err := r.Store("default")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := view.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("view Get = %q, %v", v, err)
	}
	if err := view.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := view.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("view after its Close: %v, want kv.ErrClosed", err)
	}
	if _, err := resolved.Get(ctx, "k"); err != nil {
		t.Fatalf("closing a view closed the resolved store: %v", err)
	}
	if _, err := r.Store(""); !errors.Is(err, kv.ErrNoSuchStore) {
		t.Errorf("Store(\"\") = %v, want kv.ErrNoSuchStore", err)
	}
	view2, err := r.Store("default")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := view2.Get(ctx, "k"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("view after Resolver.Close: %v, want kv.ErrClosed", err)
	}
	if _, err := r.Store("new"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Store after Close: %v, want kv.ErrClosed", err)
	}
}

// TestResolveConcurrent checks that concurrent first Resolves of a label
// agree on one store.
func TestResolveConcurrent(t *testing.T) {
	r := memory.NewResolver()
	defer r.Close()
	const n = 8
	got := make([]kv.Store, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			s, err := r.Resolve(t.Context(), fmt.Sprint("label", i%2))
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		}()
	}
	wg.Wait()
	for i := 2; i < n; i++ {
		if got[i] != got[i%2] {
			t.Fatalf("Resolve %d gave a different store than Resolve %d", i, i%2)
		}
	}
}
