package kvtest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/spindlekv/spindle/kv"
)

// ResolverHarness tells RunResolver how to make the Resolvers it tests.
type ResolverHarness struct {
	// NewResolver makes a fresh Resolver, with no keys under any label, in
	// which the labels "default" and "other" resolve, and registers its own
	// cleanup with t.Cleanup. It returns the Resolver and the function its
	// owner calls at shutdown to close it and every store it resolved
	// (memory.Resolver.Close, sqlite.DB.Close); that function is
	// idempotent. NewResolver is called once per case, never concurrently.
	// Required.
	NewResolver func(t *testing.T) (r kv.Resolver, close func() error)

	// LabelsShareKeys is true when "default" and "other" see the same keys,
	// as Harness.LabelsShareKeys. The isolation check is then skipped.
	LabelsShareKeys bool

	// ErrorPrefix, when not empty, is the prefix every error of Resolve
	// and of the resolved stores starts with, as Harness.ErrorPrefix.
	ErrorPrefix string
}

// RunResolver runs the Resolver cases against the Resolvers h makes, one
// subtest per case: that a label resolves to the same keys on every call,
// that Close of a resolved store leaves it and its label working (a
// caller's "defer s.Close()" must not close a label for every other user),
// that the empty label and a label that is not valid UTF-8 give
// kv.ErrNoSuchStore, that concurrent Resolves agree, and that after the
// Resolver's own close every resolved store and Resolve itself give
// kv.ErrClosed. Run it under -race.
func RunResolver(t *testing.T, h ResolverHarness) {
	t.Helper()
	if h.NewResolver == nil {
		t.Fatal("kvtest: ResolverHarness.NewResolver is nil")
	}
	for _, c := range resolverCases {
		t.Run(c.name, func(t *testing.T) {
			r, closeFn := h.NewResolver(t)
			if r == nil || closeFn == nil {
				t.Fatal("kvtest: ResolverHarness.NewResolver returned a nil Resolver or close function")
			}
			c.fn(t, &resolverEnv{h: h, r: r, close: closeFn})
		})
	}
}

// resolverEnv is the Resolver of one case.
type resolverEnv struct {
	h     ResolverHarness
	r     kv.Resolver
	close func() error
}

// resolve returns the store of label, failing t on an error.
func (e *resolverEnv) resolve(t *testing.T, label string) kv.Store {
	t.Helper()
	s, err := e.r.Resolve(t.Context(), label)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", label, err)
	}
	if s == nil {
		t.Fatalf("Resolve(%q) returned a nil store and no error", label)
	}
	return s
}

// wantErr is env.wantErr for the Resolver's errors.
func (e *resolverEnv) wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one matching %v", what, err, target)
		return
	}
	checkFormat(t, what, err, e.h.ErrorPrefix, "")
}

var resolverCases = []struct {
	name string
	fn   func(t *testing.T, e *resolverEnv)
}{
	{"SameKeys", testResolveSameKeys},
	{"CloseOfResolvedStore", testCloseOfResolvedStore},
	{"UnknownLabels", testUnknownLabels},
	{"Concurrent", testResolveConcurrent},
	{"Close", testResolverClose},
}

func testResolveSameKeys(t *testing.T, e *resolverEnv) {
	a := e.resolve(t, "default")
	mustSet(t, a, "k", []byte("default"))
	wantValue(t, e.resolve(t, "default"), "k", []byte("default"))
	other := e.resolve(t, "other")
	if e.h.LabelsShareKeys {
		wantValue(t, other, "k", []byte("default"))
		return
	}
	wantMissing(t, other, "k")
	mustSet(t, other, "k", []byte("other"))
	wantValue(t, e.resolve(t, "default"), "k", []byte("default"))
	wantValue(t, e.resolve(t, "other"), "k", []byte("other"))
}

func testCloseOfResolvedStore(t *testing.T, e *resolverEnv) {
	// The habit this case guards against: resolve, defer Close, use.
	use := func(key string) {
		s := e.resolve(t, "default")
		defer s.Close()
		mustSet(t, s, key, []byte(key))
	}
	use("first")
	use("second")
	s := e.resolve(t, "default")
	wantValue(t, s, "first", []byte("first"))
	wantValue(t, s, "second", []byte("second"))

	// Close of the very store every caller shares, twice: the error, if
	// any, is the Resolver's to choose; the store must keep working.
	_ = s.Close()
	_ = s.Close()
	wantValue(t, s, "first", []byte("first"))
	mustSet(t, s, "third", []byte("third"))
	again := e.resolve(t, "default")
	wantValue(t, again, "third", []byte("third"))
	callEveryMethod(t.Context(), again, func(op string, err error) {
		t.Helper()
		if errors.Is(err, kv.ErrClosed) {
			t.Errorf("%s on a resolved store after its Close: %v; the Resolver owns it", op, err)
		}
	})
	mustSet(t, e.resolve(t, "other"), "k", []byte("v"))
}

func testUnknownLabels(t *testing.T, e *resolverEnv) {
	for _, label := range []string{"", "bad\xff", "\xed\xa0\x80"} {
		s, err := e.r.Resolve(t.Context(), label)
		e.wantErr(t, fmt.Sprintf("Resolve(%q)", label), err, kv.ErrNoSuchStore)
		if s != nil {
			t.Errorf("Resolve(%q) returned a store with its error", label)
		}
	}
	// A failed Resolve leaves the good labels alone.
	mustSet(t, e.resolve(t, "default"), "k", []byte("v"))
}

func testResolveConcurrent(t *testing.T, e *resolverEnv) {
	labels := []string{"default", "other"}
	parallel(goroutines, func(g int) {
		for i := range perWorker / 10 {
			label := labels[(g+i)%2]
			s, err := e.r.Resolve(t.Context(), label)
			if err != nil {
				t.Errorf("Resolve(%q): %v", label, err)
				return
			}
			key := fmt.Sprintf("%s/%d/%d", label, g, i)
			if err := s.Set(t.Context(), key, []byte(key)); err != nil {
				t.Errorf("Set(%q): %v", key, err)
				return
			}
			if v, err := s.Get(t.Context(), key); err != nil || string(v) != key {
				t.Errorf("Get(%q) = %q, %v", key, v, err)
				return
			}
		}
	})
	if t.Failed() {
		return
	}
	for _, label := range labels {
		var want []string
		for g := range goroutines {
			for i := range perWorker / 10 {
				if e.h.LabelsShareKeys || labels[(g+i)%2] == label {
					want = append(want, fmt.Sprintf("%s/%d/%d", labels[(g+i)%2], g, i))
				}
			}
		}
		slices.Sort(want)
		wantKeys(t, e.resolve(t, label), "", want)
	}
}

func testResolverClose(t *testing.T, e *resolverEnv) {
	s := e.resolve(t, "default")
	mustSet(t, s, "k", []byte("v"))
	if err := e.close(); err != nil {
		t.Fatalf("closing the Resolver: %v", err)
	}
	if err := e.close(); err != nil {
		t.Fatalf("closing the Resolver again: %v; close is idempotent", err)
	}
	callEveryMethod(t.Context(), s, func(op string, err error) {
		t.Helper()
		e.wantErr(t, op+" on a resolved store after the Resolver's close", err, kv.ErrClosed)
	})
	for _, label := range []string{"default", "other"} {
		got, err := e.r.Resolve(t.Context(), label)
		e.wantErr(t, fmt.Sprintf("Resolve(%q) after the Resolver's close", label), err, kv.ErrClosed)
		if got != nil {
			t.Errorf("Resolve(%q) after close returned a store", label)
		}
	}
}
