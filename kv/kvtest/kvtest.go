package kvtest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv"
)

// ExpiryDeadline is how long the expiry cases wait, polling, for a key with
// a short TTL to read as absent before they fail.
const ExpiryDeadline = 10 * time.Second

// Harness tells Run how to make the stores it tests.
type Harness struct {
	// NewBackend creates a fresh, empty backend for one test case and
	// registers its own cleanup with t.Cleanup. It is called once per case
	// (and sub-case), never concurrently. Required.
	NewBackend func(t *testing.T) Backend

	// LabelsShareKeys is true when every label on one backend sees the same
	// keys, as Spin's Redis store does (v3.0.0:crates/key-value-redis/src/store.rs
	// ignores the label). The label-isolation case is then skipped.
	LabelsShareKeys bool

	// ErrorPrefix, when not empty, is the prefix every error of the store
	// starts with, such as "kv/memory: ". The cases that provoke errors then
	// also check that each starts with it and that an error about one key
	// names the key, quoted as by %q (see the kv package doc).
	ErrorPrefix string

	// Synctest is true when the store takes the time only from package
	// time and blocks only on mutexes, so that it works inside a
	// testing/synctest bubble, whose clock is fake (kv/memory). The expiry
	// cases then run in bubbles: they take no real time and also check the
	// exact moment a key expires. Leave it false for a store whose clock is
	// elsewhere (a server, SQLite's own) or that uses goroutines of its own.
	Synctest bool
}

// Backend is one fresh backend made by Harness.NewBackend.
type Backend struct {
	// Open returns the store of label on this backend. It may be called
	// several times for one label and for several labels. Run closes every
	// store it opens. Required.
	Open func(ctx context.Context, label string) (kv.Store, error)

	// Reopen closes the backend and opens it again, as a process restart
	// would (close the database file and open the same path). Run has
	// closed every store it opened before it calls Reopen, and calls Open
	// again afterwards. Nil for backends that do not persist: the
	// persistence case is then skipped.
	Reopen func(ctx context.Context) error
}

// wantErr fails t unless err matches target and, with Harness.ErrorPrefix
// set, starts with the prefix and (for a non-empty key) names key.
func (e *env) wantErr(t *testing.T, what string, err, target error, key string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one matching %v", what, err, target)
		return
	}
	checkFormat(t, what, err, e.h.ErrorPrefix, key)
}

// checkFormat checks an error's prefix and, for a non-empty key, that it
// names key; an empty prefix checks nothing.
func checkFormat(t *testing.T, what string, err error, prefix, key string) {
	t.Helper()
	if prefix == "" {
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("%s: error %q does not start with %q", what, msg, prefix)
	}
	if key != "" && !strings.Contains(msg, strconv.Quote(key)) {
		t.Errorf("%s: error %q does not name the key %q", what, msg, key)
	}
}

// Run runs the conformance suite against the stores h makes, one subtest
// per case. Run it under -race: several cases use many goroutines.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewBackend == nil {
		t.Fatal("kvtest: Harness.NewBackend is nil")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, newEnv(t, h))
		})
	}
}

// env is the backend of one case and the stores opened on it.
type env struct {
	t      *testing.T
	h      Harness
	b      Backend
	opened []kv.Store
}

func newEnv(t *testing.T, h Harness) *env {
	t.Helper()
	b := h.NewBackend(t)
	if b.Open == nil {
		t.Fatal("kvtest: Backend.Open is nil")
	}
	return &env{t: t, h: h, b: b}
}

// open opens the store of label and closes it when the case ends.
func (e *env) open(label string) kv.Store {
	e.t.Helper()
	s, err := e.b.Open(e.t.Context(), label)
	if err != nil {
		e.t.Fatalf("Open(%q): %v", label, err)
	}
	if s == nil {
		e.t.Fatalf("Open(%q) returned a nil store and no error", label)
	}
	e.t.Cleanup(func() {
		if err := s.Close(); err != nil {
			e.t.Errorf("Close of %q at the end of the case: %v", label, err)
		}
	})
	e.opened = append(e.opened, s)
	return s
}

// reopen closes every store opened so far and reopens the backend.
func (e *env) reopen() {
	e.t.Helper()
	for _, s := range e.opened {
		if err := s.Close(); err != nil {
			e.t.Fatalf("Close before Reopen: %v", err)
		}
	}
	e.opened = nil
	if err := e.b.Reopen(e.t.Context()); err != nil {
		e.t.Fatalf("Reopen: %v", err)
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, e *env)
}

// cases is the whole suite, in the order Run runs it.
var cases = []testCase{
	{"MissingKey", testMissingKey},
	{"Overwrite", testOverwrite},
	{"EmptyValue", testEmptyValue},
	{"BinaryValues", testBinaryValues},
	{"UnusualKeys", testUnusualKeys},
	{"PrefixMetacharacters", testPrefixMetacharacters},
	{"InvalidKeys", testInvalidKeys},
	{"ValueTooLarge", testValueTooLarge},
	{"DeleteIdempotent", testDeleteIdempotent},
	{"Exists", testExists},
	{"SortedListing", testSortedListing},
	{"Paging", testPaging},
	{"InvalidCursor", testInvalidCursor},
	{"LargeListing", testLargeListing},
	{"NoAliasing", testNoAliasing},
	{"CancelledContext", testCancelledContext},
	{"Closed", testClosed},
	{"Hammer", testHammer},
	{"Batch", testBatch},
	{"Unsupported", testUnsupported},
	{"Increment", testIncrement},
	{"IncrementConcurrent", testIncrementConcurrent},
	{"CompareAndSwap", testCompareAndSwap},
	{"CompareAndSwapConcurrent", testCompareAndSwapConcurrent},
	{"Expiry", testExpiry},
	{"Persistence", testPersistence},
	{"LabelIsolation", testLabelIsolation},
}

// Helpers that fail the test on an unexpected error.

func mustSet(t *testing.T, s kv.Store, key string, value []byte) {
	t.Helper()
	if err := s.Set(t.Context(), key, value); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s kv.Store, key string) []byte {
	t.Helper()
	v, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

func wantValue(t *testing.T, s kv.Store, key string, want []byte) {
	t.Helper()
	got := mustGet(t, s, key)
	if string(got) != string(want) {
		t.Fatalf("Get(%q) = %s, want %s", key, short(got), short(want))
	}
}

func wantMissing(t *testing.T, s kv.Store, key string) {
	t.Helper()
	v, err := s.Get(t.Context(), key)
	if !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get(%q) = %s, %v; want an error matching kv.ErrNotFound", key, short(v), err)
	}
	ok, err := s.Exists(t.Context(), key)
	if err != nil || ok {
		t.Fatalf("Exists(%q) = %v, %v; want false, nil", key, ok, err)
	}
}

func mustExists(t *testing.T, s kv.Store, key string) bool {
	t.Helper()
	ok, err := s.Exists(t.Context(), key)
	if err != nil {
		t.Fatalf("Exists(%q): %v", key, err)
	}
	return ok
}

func allKeys(t *testing.T, s kv.Store, prefix string) []string {
	t.Helper()
	keys, err := kv.AllKeys(t.Context(), s, prefix)
	if err != nil {
		t.Fatalf("AllKeys(%q): %v", prefix, err)
	}
	return keys
}

func wantKeys(t *testing.T, s kv.Store, prefix string, want []string) {
	t.Helper()
	got := allKeys(t, s, prefix)
	if !equalStrings(got, want) {
		t.Fatalf("keys with prefix %q = %q, want %q", prefix, abbrev(got), abbrev(want))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// short formats a value for a failure message without printing megabytes.
func short(v []byte) string {
	if v == nil {
		return "nil"
	}
	if len(v) > 40 {
		return strconv.Quote(string(v[:40])) + "…(" + strconv.Itoa(len(v)) + " bytes)"
	}
	return strconv.Quote(string(v))
}

func abbrev(keys []string) []string {
	if len(keys) > 20 {
		out := append([]string(nil), keys[:20]...)
		return append(out, "…("+strconv.Itoa(len(keys))+" keys)")
	}
	return keys
}
