package kvtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/kv"
)

func testMissingKey(t *testing.T, e *env) {
	s := e.open("default")
	wantMissing(t, s, "missing")
	wantMissing(t, s, "")
	mustSet(t, s, "present", []byte("x"))
	wantMissing(t, s, "presen")
	wantMissing(t, s, "present2")
	_, err := s.Get(t.Context(), "missing")
	e.wantErr(t, "Get of a missing key", err, kv.ErrNotFound, "missing")
}

func testOverwrite(t *testing.T, e *env) {
	s := e.open("default")
	mustSet(t, s, "k", []byte("first value, longer"))
	mustSet(t, s, "k", []byte("second"))
	wantValue(t, s, "k", []byte("second"))
	mustSet(t, s, "k", []byte("third value, the longest of them all"))
	wantValue(t, s, "k", []byte("third value, the longest of them all"))
	wantKeys(t, s, "", []string{"k"})
}

func testEmptyValue(t *testing.T, e *env) {
	s := e.open("default")
	mustSet(t, s, "empty", []byte{})
	mustSet(t, s, "nil", nil)
	for _, k := range []string{"empty", "nil"} {
		v, err := s.Get(t.Context(), k)
		if err != nil {
			t.Fatalf("Get(%q) of an empty value: %v; an empty value is present", k, err)
		}
		if len(v) != 0 {
			t.Fatalf("Get(%q) = %s, want empty", k, short(v))
		}
		if !mustExists(t, s, k) {
			t.Fatalf("Exists(%q) = false for an empty value", k)
		}
	}
	wantMissing(t, s, "absent")
	wantKeys(t, s, "", []string{"empty", "nil"})
	// Overwriting a value with the empty value keeps the key.
	mustSet(t, s, "k", []byte("full"))
	mustSet(t, s, "k", nil)
	wantValue(t, s, "k", nil)
}

func testBinaryValues(t *testing.T, e *env) {
	s := e.open("default")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 1<<20+7)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	tests := []struct {
		name  string
		value []byte
	}{
		{"all 256 byte values", all},
		{"all 256 byte values reversed", reversed(all)},
		{"NUL only", []byte{0}},
		{"invalid UTF-8", []byte{0xff, 0xfe, 0xc3, 0x28}},
		{"text with NULs", []byte("a\x00b\x00")},
		{"1 MiB random", big},
	}
	for _, tt := range tests {
		key := "bin/" + tt.name
		mustSet(t, s, key, tt.value)
		wantValue(t, s, key, tt.value)
	}
	for _, tt := range tests {
		wantValue(t, s, "bin/"+tt.name, tt.value)
	}
}

func reversed(b []byte) []byte {
	out := slices.Clone(b)
	slices.Reverse(out)
	return out
}

// unusualKeys are valid keys that stores built on SQL, globs or paths might
// mishandle.
func unusualKeys() []struct{ name, key string } {
	return []struct{ name, key string }{
		{"empty", ""},
		{"space", " "},
		{"unicode", "日本語-ключ-🔑"},
		{"slash", "a/b/c"},
		{"leading slash", "/root"},
		{"dot segments", "../../etc/passwd"},
		{"percent", "100%"},
		{"underscore", "a_b"},
		{"single quote", "it's"},
		{"double quote", `say "hi"`},
		{"backslash", `C:\path`},
		{"glob", "*?[a-z]{x}"},
		{"SQL", "'; DROP TABLE spin_key_value; --"},
		{"NUL byte", "nul\x00byte"},
		{"newline", "line1\nline2"},
		{"max code point", "\U0010FFFF"},
		{"256 bytes", strings.Repeat("k", 256)},
		{"MaxKeyLen bytes", strings.Repeat("m", kv.MaxKeyLen)},
		{"MaxKeyLen bytes of multibyte runes", strings.Repeat("é", kv.MaxKeyLen/2)},
	}
}

func testUnusualKeys(t *testing.T, e *env) {
	s := e.open("default")
	var all []string
	for _, tt := range unusualKeys() {
		t.Run(tt.name, func(t *testing.T) {
			value := []byte("value of " + tt.name)
			mustSet(t, s, tt.key, value)
			wantValue(t, s, tt.key, value)
			if !mustExists(t, s, tt.key) {
				t.Fatalf("Exists(%q) = false after Set", tt.key)
			}
			keys := allKeys(t, s, tt.key)
			if !slices.Contains(keys, tt.key) {
				t.Fatalf("listing with the key itself as prefix: %q does not contain %q", abbrev(keys), tt.key)
			}
		})
		all = append(all, tt.key)
	}
	slices.Sort(all)
	wantKeys(t, s, "", all)
	for _, k := range all {
		if err := s.Delete(t.Context(), k); err != nil {
			t.Fatalf("Delete(%q): %v", k, err)
		}
		wantMissing(t, s, k)
	}
	wantKeys(t, s, "", nil)
}

func testPrefixMetacharacters(t *testing.T, e *env) {
	s := e.open("default")
	keys := []string{
		"a", "a%", "a%b", "a_", "a_b", "aXb", "ab", "a%%", "a\\b", "a\\%",
		"a*b", "a*", "a?b", "a[b]", "a[", "a^", "a.b", "a'b", "b%",
	}
	for _, k := range keys {
		mustSet(t, s, k, []byte(k))
	}
	tests := []struct {
		name, prefix string
	}{
		{"percent", "a%"},
		{"underscore", "a_"},
		{"backslash", "a\\"},
		{"star", "a*"},
		{"question mark", "a?"},
		{"bracket", "a["},
		{"caret", "a^"},
		{"dot", "a."},
		{"quote", "a'"},
		{"plain", "a"},
		{"none", "zzz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, k := range keys {
				if strings.HasPrefix(k, tt.prefix) {
					want = append(want, k)
				}
			}
			slices.Sort(want)
			wantKeys(t, s, tt.prefix, want)
		})
	}
}

func testInvalidKeys(t *testing.T, e *env) {
	s := e.open("default")
	ctx := t.Context()
	tests := []struct {
		name, key string
	}{
		{"invalid UTF-8", "bad\xffkey"},
		{"truncated rune", "\xe6\x97"},
		{"surrogate half", "\xed\xa0\x80"},
		{"MaxKeyLen+1 bytes", strings.Repeat("x", kv.MaxKeyLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(op string, err error) {
				t.Helper()
				e.wantErr(t, fmt.Sprintf("%s with key %s", op, short([]byte(tt.key))), err, kv.ErrInvalidKey, "")
			}
			check("Set", s.Set(ctx, tt.key, []byte("v")))
			_, err := s.Get(ctx, tt.key)
			check("Get", err)
			check("Delete", s.Delete(ctx, tt.key))
			_, err = s.Exists(ctx, tt.key)
			check("Exists", err)
			if b, ok := s.(kv.Batcher); ok {
				check("SetMany", b.SetMany(ctx, map[string][]byte{tt.key: []byte("v")}))
				_, err = b.GetMany(ctx, []string{"fine", tt.key})
				check("GetMany", err)
				check("DeleteMany", b.DeleteMany(ctx, []string{tt.key}))
			}
			if _, ok := s.(kv.Incrementer); ok {
				_, err = kv.Increment(ctx, s, tt.key, 1)
				check("Increment", err)
			}
			if _, ok := s.(kv.CompareAndSwapper); ok {
				_, err = kv.CompareAndSwap(ctx, s, tt.key, nil, []byte("v"))
				check("CompareAndSwap", err)
			}
			if _, ok := s.(kv.Expirer); ok {
				check("SetWithTTL", kv.SetWithTTL(ctx, s, tt.key, []byte("v"), 1<<40))
			}
		})
	}
	wantKeys(t, s, "", nil)
}

func testValueTooLarge(t *testing.T, e *env) {
	s := e.open("default")
	ctx := t.Context()
	huge := make([]byte, kv.MaxValueLen+1)
	check := func(op, key string, err error) {
		t.Helper()
		e.wantErr(t, fmt.Sprintf("%s of %d bytes", op, len(huge)), err, kv.ErrValueTooLarge, key)
	}
	check("Set", "huge", s.Set(ctx, "huge", huge))
	wantMissing(t, s, "huge")
	mustSet(t, s, "kept", []byte("old"))
	check("Set over an existing value", "kept", s.Set(ctx, "kept", huge))
	wantValue(t, s, "kept", []byte("old"))
	if b, ok := s.(kv.Batcher); ok {
		check("SetMany", "huge", b.SetMany(ctx, map[string][]byte{"huge": huge}))
		wantMissing(t, s, "huge")
	}
	if _, ok := s.(kv.CompareAndSwapper); ok {
		_, err := kv.CompareAndSwap(ctx, s, "kept", []byte("old"), huge)
		check("CompareAndSwap", "kept", err)
		wantValue(t, s, "kept", []byte("old"))
	}
	if _, ok := s.(kv.Expirer); ok {
		check("SetWithTTL", "huge", kv.SetWithTTL(ctx, s, "huge", huge, 1<<40))
		wantMissing(t, s, "huge")
	}
	// The largest allowed value is accepted.
	max := make([]byte, kv.MaxValueLen)
	max[len(max)-1] = 7
	mustSet(t, s, "max", max)
	wantValue(t, s, "max", max)
}

func testDeleteIdempotent(t *testing.T, e *env) {
	s := e.open("default")
	ctx := t.Context()
	if err := s.Delete(ctx, "never-set"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	mustSet(t, s, "k", []byte("v"))
	mustSet(t, s, "k2", []byte("v2"))
	for i := range 3 {
		if err := s.Delete(ctx, "k"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
		wantMissing(t, s, "k")
	}
	wantValue(t, s, "k2", []byte("v2"))
	wantKeys(t, s, "", []string{"k2"})
	mustSet(t, s, "k", []byte("again"))
	wantValue(t, s, "k", []byte("again"))
}

func testExists(t *testing.T, e *env) {
	s := e.open("default")
	tests := []struct {
		name  string
		setup func(s kv.Store)
		want  bool
	}{
		{"never set", func(kv.Store) {}, false},
		{"set", func(s kv.Store) { mustSet(t, s, "k", []byte("v")) }, true},
		{"set empty", func(s kv.Store) { mustSet(t, s, "k", nil) }, true},
		{"deleted", func(s kv.Store) {
			mustSet(t, s, "k", []byte("v"))
			if err := s.Delete(t.Context(), "k"); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Delete(t.Context(), "k"); err != nil {
				t.Fatal(err)
			}
			tt.setup(s)
			if got := mustExists(t, s, "k"); got != tt.want {
				t.Fatalf("Exists = %v, want %v", got, tt.want)
			}
		})
	}
}

// sortKeys are keys whose byte order differs from naive orders (length
// first, case-folded, UTF-16 or code point collation).
var sortKeys = []string{
	"", "a", "A", "aa", "ab", "a b", "a/b", "a\x00", "b", "B", "z", "~",
	"é", "e\u0301", "ÿ", "\u00ff\u00ff", "日本", "\uFFFD", "\U0001F511", "\U0010FFFF",
	"10", "9", "100", "1",
}

func testSortedListing(t *testing.T, e *env) {
	s := e.open("default")
	order := rand.New(rand.NewPCG(3, 4)).Perm(len(sortKeys))
	for _, i := range order {
		mustSet(t, s, sortKeys[i], []byte{byte(i)})
	}
	want := slices.Clone(sortKeys)
	slices.Sort(want) // Go string order is byte order.
	wantKeys(t, s, "", want)
	page, err := s.List(t.Context(), kv.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(page.Keys, want) || page.Cursor != "" {
		t.Fatalf("List() = %q, cursor %q; want %q and no cursor", page.Keys, page.Cursor, want)
	}
	for _, prefix := range []string{"a", "A", "1", "\u00ff", "é", "\xf0\x9f", "日"} {
		var pw []string
		for _, k := range want {
			if strings.HasPrefix(k, prefix) {
				pw = append(pw, k)
			}
		}
		wantKeys(t, s, prefix, pw)
	}
}

func testPaging(t *testing.T, e *env) {
	s := e.open("default")
	var want []string
	for i := range 57 {
		k := fmt.Sprintf("p/%03d", i)
		want = append(want, k)
		mustSet(t, s, k, []byte(k))
	}
	mustSet(t, s, "", []byte("empty key"))
	mustSet(t, s, "q", []byte("after"))
	for _, limit := range []int{1, 2, 7, 56, 57, 58, 1000} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			opts := kv.ListOptions{Prefix: "p/", Limit: limit}
			for pages := 0; ; pages++ {
				if pages > len(want)+1 {
					t.Fatalf("listing did not end after %d pages", pages)
				}
				page, err := s.List(t.Context(), opts)
				if err != nil {
					t.Fatalf("List page %d: %v", pages, err)
				}
				if len(page.Keys) > limit {
					t.Fatalf("page %d has %d keys, more than the limit %d", pages, len(page.Keys), limit)
				}
				if page.Cursor != "" && len(page.Keys) == 0 {
					t.Fatalf("page %d is empty but has a cursor", pages)
				}
				got = append(got, page.Keys...)
				if page.Cursor == "" {
					break
				}
				opts.Cursor = page.Cursor
			}
			if !equalStrings(got, want) {
				t.Fatalf("paged listing = %q, want %q", abbrev(got), abbrev(want))
			}
		})
	}
	// A huge limit is a limit like any other.
	page, err := s.List(t.Context(), kv.ListOptions{Prefix: "p/", Limit: math.MaxInt})
	if err != nil || !equalStrings(page.Keys, want) || page.Cursor != "" {
		t.Fatalf("List with Limit math.MaxInt = %q, cursor %q, %v; want every key and no cursor", abbrev(page.Keys), page.Cursor, err)
	}
	// Paging where the empty key is the first key of all.
	var got []string
	opts := kv.ListOptions{Limit: 1}
	for {
		page, err := s.List(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Keys...)
		if page.Cursor == "" {
			break
		}
		opts.Cursor = page.Cursor
	}
	all := append([]string{""}, want...)
	all = append(all, "q")
	if !equalStrings(got, all) {
		t.Fatalf("listing one key per page = %q, want %q", abbrev(got), abbrev(all))
	}
	// Keys written between pages: a key after the cursor shows up, a key
	// deleted before it is reached does not.
	page, err = s.List(t.Context(), kv.ListOptions{Prefix: "p/", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "p/0505", []byte("new"))
	if err := s.Delete(t.Context(), "p/050"); err != nil {
		t.Fatal(err)
	}
	rest := page.Keys
	for k, err := range kvKeysFrom(t.Context(), s, "p/", page.Cursor) {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, k)
	}
	if !slices.Contains(rest, "p/0505") || slices.Contains(rest, "p/050") {
		t.Fatalf("listing across writes = %q; want p/0505 present and p/050 absent", abbrev(rest))
	}
}

// invalidCursors are cursors no store returns: they are not valid UTF-8,
// and a store's cursor either encodes a key (valid UTF-8) or is its own
// text.
var invalidCursors = []struct{ name, cursor string }{
	{"invalid UTF-8", "\xff\xfe\xfd"},
	{"invalid UTF-8 after ASCII", "kvtest\xff"},
}

func testInvalidCursor(t *testing.T, e *env) {
	s := e.open("default")
	for i := range 3 {
		mustSet(t, s, fmt.Sprint("c/", i), nil)
	}
	for _, tt := range invalidCursors {
		t.Run(tt.name, func(t *testing.T) {
			for _, prefix := range []string{"", "c/"} {
				page, err := s.List(t.Context(), kv.ListOptions{Prefix: prefix, Cursor: tt.cursor, Limit: 1})
				e.wantErr(t, fmt.Sprintf("List with prefix %q and cursor %s", prefix, short([]byte(tt.cursor))), err, kv.ErrInvalidCursor, "")
				if len(page.Keys) != 0 || page.Cursor != "" {
					t.Errorf("List with an invalid cursor returned keys %q, cursor %q", page.Keys, page.Cursor)
				}
			}
		})
	}
	// A store's own cursor is still accepted.
	page, err := s.List(t.Context(), kv.ListOptions{Prefix: "c/", Limit: 1})
	if err != nil || page.Cursor == "" {
		t.Fatalf("List of the first page = %q, cursor %q, %v; want a cursor", page.Keys, page.Cursor, err)
	}
	if _, err := s.List(t.Context(), kv.ListOptions{Prefix: "c/", Cursor: page.Cursor}); err != nil {
		t.Fatalf("List with the store's own cursor: %v", err)
	}
}

// kvKeysFrom continues a listing from cursor to its end.
func kvKeysFrom(ctx context.Context, s kv.Store, prefix, cursor string) func(func(string, error) bool) {
	return func(yield func(string, error) bool) {
		opts := kv.ListOptions{Prefix: prefix, Cursor: cursor}
		for opts.Cursor != "" {
			page, err := s.List(ctx, opts)
			if err != nil {
				yield("", err)
				return
			}
			for _, k := range page.Keys {
				if !yield(k, nil) {
					return
				}
			}
			opts.Cursor = page.Cursor
		}
	}
}

func testLargeListing(t *testing.T, e *env) {
	s := e.open("default")
	const n = 10_007
	want := make([]string, 0, n)
	batch := make(map[string][]byte)
	for i := range n {
		k := fmt.Sprintf("key/%05d", (i*7919)%n) // written out of order
		want = append(want, k)
		batch[k] = []byte{byte(i)}
		if len(batch) == 1000 || i == n-1 {
			if err := kv.SetMany(t.Context(), s, batch); err != nil {
				t.Fatalf("SetMany: %v", err)
			}
			clear(batch)
		}
	}
	mustSet(t, s, "other", []byte("x"))
	slices.Sort(want)
	wantKeys(t, s, "key/", want)

	page, err := s.List(t.Context(), kv.ListOptions{Prefix: "key/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) == 0 || len(page.Keys) > kv.DefaultListLimit || page.Cursor == "" {
		t.Fatalf("List with Limit 0 gave %d keys and cursor %q; want at most %d keys and a cursor",
			len(page.Keys), page.Cursor, kv.DefaultListLimit)
	}
	var sub []string
	for _, k := range want {
		if strings.HasPrefix(k, "key/0999") {
			sub = append(sub, k)
		}
	}
	wantKeys(t, s, "key/0999", sub)

	count := 0
	for k, err := range kv.Keys(t.Context(), s, "") {
		if err != nil {
			t.Fatal(err)
		}
		if count == n+1 {
			t.Fatalf("more keys than written, at %q", k)
		}
		count++
	}
	if count != n+1 {
		t.Fatalf("kv.Keys gave %d keys, want %d", count, n+1)
	}
}

func testNoAliasing(t *testing.T, e *env) {
	s := e.open("default")
	ctx := t.Context()
	in := []byte("original")
	mustSet(t, s, "k", in)
	copy(in, "XXXXXXXX")
	wantValue(t, s, "k", []byte("original"))

	out := mustGet(t, s, "k")
	copy(out, "YYYYYYYY")
	wantValue(t, s, "k", []byte("original"))
	out2 := mustGet(t, s, "k")
	if len(out2) > 0 && &out2[0] == &out[0] {
		t.Fatal("two Gets returned the same backing array")
	}
	_ = append(out2[:1], "ZZZZ"...) // writes into spare capacity, if any
	wantValue(t, s, "k", []byte("original"))

	bin := []byte("batch")
	if err := kv.SetMany(ctx, s, map[string][]byte{"b": bin}); err != nil {
		t.Fatal(err)
	}
	copy(bin, "XXXXX")
	wantValue(t, s, "b", []byte("batch"))
	m, err := kv.GetMany(ctx, s, []string{"b", "k"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range m {
		for i := range v {
			v[i] = 'Q'
		}
	}
	wantValue(t, s, "b", []byte("batch"))
	wantValue(t, s, "k", []byte("original"))

	if _, ok := s.(kv.CompareAndSwapper); ok {
		old, val := []byte("original"), []byte("swapped")
		if ok, err := kv.CompareAndSwap(ctx, s, "k", old, val); err != nil || !ok {
			t.Fatalf("CompareAndSwap = %v, %v", ok, err)
		}
		copy(val, "XXXXXXX")
		wantValue(t, s, "k", []byte("swapped"))
	}
	if _, ok := s.(kv.Expirer); ok {
		val := []byte("ttl")
		if err := kv.SetWithTTL(ctx, s, "t", val, 1<<40); err != nil {
			t.Fatal(err)
		}
		copy(val, "XXX")
		wantValue(t, s, "t", []byte("ttl"))
	}
	page, err := s.List(ctx, kv.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.Clone(page.Keys)
	page.Keys[0] = "mutated"
	page2, err := s.List(ctx, kv.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(page2.Keys, keys) {
		t.Fatalf("mutating a returned page changed the next listing: %q, want %q", page2.Keys, keys)
	}
}

func testCancelledContext(t *testing.T, e *env) {
	s := e.open("default")
	mustSet(t, s, "k", []byte("v"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	check := func(op string, err error) {
		t.Helper()
		e.wantErr(t, op+" with a cancelled context", err, context.Canceled, "")
	}
	callEveryMethod(ctx, s, check)
	// Nothing was changed, and the store still works.
	wantValue(t, s, "k", []byte("v"))
	wantMissing(t, s, "k2")
	wantMissing(t, s, "n")
}

// callEveryMethod calls every method of s, the optional ones it implements
// included, passing each error to check. Reads name "k"; writes name "k2"
// and "n", so a call that wrongly succeeds shows up as a stored key.
func callEveryMethod(ctx context.Context, s kv.Store, check func(op string, err error)) {
	_, err := s.Get(ctx, "k")
	check("Get", err)
	check("Set", s.Set(ctx, "k2", []byte("v")))
	check("Delete", s.Delete(ctx, "k"))
	_, err = s.Exists(ctx, "k")
	check("Exists", err)
	_, err = s.List(ctx, kv.ListOptions{})
	check("List", err)
	if b, ok := s.(kv.Batcher); ok {
		_, err = b.GetMany(ctx, []string{"k"})
		check("GetMany", err)
		check("SetMany", b.SetMany(ctx, map[string][]byte{"k2": nil}))
		check("DeleteMany", b.DeleteMany(ctx, []string{"k"}))
	}
	if i, ok := s.(kv.Incrementer); ok {
		_, err = i.Increment(ctx, "n", 1)
		check("Increment", err)
	}
	if c, ok := s.(kv.CompareAndSwapper); ok {
		_, err = c.CompareAndSwap(ctx, "k", []byte("v"), []byte("w"))
		check("CompareAndSwap", err)
	}
	if x, ok := s.(kv.Expirer); ok {
		check("SetWithTTL", x.SetWithTTL(ctx, "k2", []byte("v"), 1<<40))
	}
}

func testClosed(t *testing.T, e *env) {
	s := e.open("default")
	other := e.open("other")
	mustSet(t, s, "k", []byte("v"))
	mustSet(t, other, "k", []byte("v"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v; Close is idempotent", err)
	}
	ctx := t.Context()
	check := func(op string, err error) {
		t.Helper()
		e.wantErr(t, op+" after Close", err, kv.ErrClosed, "")
	}
	callEveryMethod(ctx, s, check)
	// Closing one store leaves other stores of the backend working.
	wantValue(t, other, "k", []byte("v"))
	mustSet(t, other, "k2", []byte("v2"))
	// A store opened again for the closed label works and sees the data.
	again := e.open("default")
	wantValue(t, again, "k", []byte("v"))
	wantMissing(t, again, "n")
}

func testDeleteAll(t *testing.T, s kv.Store) {
	t.Helper()
	keys := allKeys(t, s, "")
	if err := kv.DeleteMany(t.Context(), s, keys); err != nil {
		t.Fatal(err)
	}
}

func testBatch(t *testing.T, e *env) {
	s := e.open("default")
	if _, ok := s.(kv.Batcher); !ok {
		t.Logf("%T does not implement kv.Batcher: checking the helpers' fallback loops", s)
	}
	ctx := t.Context()
	tests := []struct {
		name   string
		set    map[string][]byte
		get    []string
		del    []string
		after  map[string]string // key -> value expected afterwards; others absent
		getGot map[string]string
	}{
		{
			name:   "empty inputs",
			set:    map[string][]byte{},
			get:    []string{},
			del:    []string{},
			after:  map[string]string{},
			getGot: map[string]string{},
		},
		{
			name:   "some missing",
			set:    map[string][]byte{"a": []byte("1"), "b": []byte("2"), "": []byte("empty key"), "e": {}},
			get:    []string{"a", "missing", "", "e"},
			del:    []string{"b", "never"},
			after:  map[string]string{"a": "1", "": "empty key", "e": ""},
			getGot: map[string]string{"a": "1", "": "empty key", "e": ""},
		},
		{
			name:   "duplicate keys in get and delete",
			set:    map[string][]byte{"x": []byte("X"), "y": []byte("Y")},
			get:    []string{"x", "x", "y"},
			del:    []string{"y", "y"},
			after:  map[string]string{"x": "X"},
			getGot: map[string]string{"x": "X", "y": "Y"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testDeleteAll(t, s)
			if err := kv.SetMany(ctx, s, tt.set); err != nil {
				t.Fatalf("SetMany: %v", err)
			}
			got, err := kv.GetMany(ctx, s, tt.get)
			if err != nil {
				t.Fatalf("GetMany: %v", err)
			}
			if len(got) != len(tt.getGot) {
				t.Fatalf("GetMany gave %d keys, want %d: %q", len(got), len(tt.getGot), got)
			}
			for k, want := range tt.getGot {
				v, ok := got[k]
				if !ok || string(v) != want {
					t.Fatalf("GetMany[%q] = %q, %v; want %q", k, v, ok, want)
				}
			}
			if err := kv.DeleteMany(ctx, s, tt.del); err != nil {
				t.Fatalf("DeleteMany: %v", err)
			}
			var wantList []string
			for k, v := range tt.after {
				wantValue(t, s, k, []byte(v))
				wantList = append(wantList, k)
			}
			slices.Sort(wantList)
			wantKeys(t, s, "", wantList)
		})
	}
	// A large batch.
	t.Run("2500 keys", func(t *testing.T) {
		testDeleteAll(t, s)
		big := make(map[string][]byte)
		var keys []string
		for i := range 2500 {
			k := fmt.Sprintf("big/%d", i)
			big[k] = []byte(k)
			keys = append(keys, k)
		}
		if err := kv.SetMany(ctx, s, big); err != nil {
			t.Fatal(err)
		}
		got, err := kv.GetMany(ctx, s, keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys) {
			t.Fatalf("GetMany gave %d of %d keys", len(got), len(keys))
		}
		for k, v := range got {
			if !bytes.Equal(v, big[k]) {
				t.Fatalf("GetMany[%q] = %q", k, v)
			}
		}
		if err := kv.DeleteMany(ctx, s, keys); err != nil {
			t.Fatal(err)
		}
		wantKeys(t, s, "", nil)
	})
}

// bareStore hides every optional interface of the store it wraps.
type bareStore struct{ kv.Store }

func testUnsupported(t *testing.T, e *env) {
	s := e.open("default")
	ctx := t.Context()
	b := bareStore{s}
	if _, err := kv.Increment(ctx, b, "n", 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("kv.Increment on a store without Incrementer: %v, want errors.ErrUnsupported", err)
	}
	if _, err := kv.CompareAndSwap(ctx, b, "k", nil, []byte("v")); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("kv.CompareAndSwap on a store without CompareAndSwapper: %v, want errors.ErrUnsupported", err)
	}
	if err := kv.SetWithTTL(ctx, b, "k", []byte("v"), 1<<40); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("kv.SetWithTTL on a store without Expirer: %v, want errors.ErrUnsupported", err)
	}
	wantMissing(t, s, "n")
	wantMissing(t, s, "k")
	// The batch helpers fall back to loops.
	if err := kv.SetMany(ctx, b, map[string][]byte{"a": []byte("1"), "b": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	got, err := kv.GetMany(ctx, b, []string{"a", "b", "c"})
	if err != nil || len(got) != 2 || string(got["a"]) != "1" || string(got["b"]) != "2" {
		t.Fatalf("kv.GetMany fallback = %q, %v", got, err)
	}
	if err := kv.DeleteMany(ctx, b, []string{"a", "c"}); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, s, "", []string{"b"})

	for name, has := range map[string]bool{
		"kv.Batcher":           is[kv.Batcher](s),
		"kv.Incrementer":       is[kv.Incrementer](s),
		"kv.CompareAndSwapper": is[kv.CompareAndSwapper](s),
		"kv.Expirer":           is[kv.Expirer](s),
	} {
		if !has {
			t.Logf("%T does not implement %s", s, name)
		}
	}
}

func is[T any](s kv.Store) bool {
	_, ok := s.(T)
	return ok
}
