package kvtest_test

import (
	"context"
	"testing"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/kvtest"
	"github.com/spindlekv/spindle/kv/memory"
)

// The harness for an in-memory store: every case gets a fresh Resolver,
// whose labels are the "backend". There is no Reopen, so the persistence
// case is skipped. A store's own test file calls kvtest.Run like this from
// a Test function.
func Example() {
	harness := kvtest.Harness{
		NewBackend: func(t *testing.T) kvtest.Backend {
			r := memory.NewResolver()
			t.Cleanup(func() { r.Close() })
			return kvtest.Backend{
				Open: func(_ context.Context, label string) (kv.Store, error) {
					return r.Store(label)
				},
			}
		},
	}
	_ = harness // in a test: kvtest.Run(t, harness)
}

// The Resolver cases need the Resolver and the function that closes it:
// here memory.NewResolver, in which "default" and "other" resolve, as every
// label does. A store's own test file calls kvtest.RunResolver like this
// from a Test function.
func ExampleRunResolver() {
	harness := kvtest.ResolverHarness{
		NewResolver: func(t *testing.T) (kv.Resolver, func() error) {
			r := memory.NewResolver()
			t.Cleanup(func() { r.Close() })
			return r, r.Close
		},
	}
	_ = harness // in a test: kvtest.RunResolver(t, harness)
}

// TestRun runs the suite against the in-memory store, the reference
// implementation, so that a change to the suite is checked where it is
// made.
func TestRun(t *testing.T) {
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

// TestRunResolver runs the Resolver cases against memory.Resolver.
func TestRunResolver(t *testing.T) {
	kvtest.RunResolver(t, kvtest.ResolverHarness{
		ErrorPrefix: "kv/memory: ",
		NewResolver: func(t *testing.T) (kv.Resolver, func() error) {
			r := memory.NewResolver()
			t.Cleanup(func() { r.Close() })
			return r, r.Close
		},
	})
}
