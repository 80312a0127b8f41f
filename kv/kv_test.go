package kv_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		invalid bool
	}{
		{"empty", "", false},
		{"ascii", "hello", false},
		{"unicode", "日本語", false},
		{"NUL", "a\x00b", false},
		{"MaxKeyLen", strings.Repeat("x", kv.MaxKeyLen), false},
		{"MaxKeyLen+1", strings.Repeat("x", kv.MaxKeyLen+1), true},
		{"bad UTF-8", "a\xffb", true},
		{"surrogate", "\xed\xa0\x80", true},
		{"truncated", "\xe6\x97", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kv.CheckKey(tt.key)
			if got := errors.Is(err, kv.ErrInvalidKey); got != tt.invalid {
				t.Fatalf("CheckKey = %v; want invalid %v", err, tt.invalid)
			}
			if tt.invalid && err != nil && !strings.HasPrefix(err.Error(), "kv: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestCheckValue(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		tooBig  bool
		isNil   bool
		zeroLen bool
	}{
		{name: "nil", isNil: true},
		{name: "empty", zeroLen: true},
		{name: "MaxValueLen", size: kv.MaxValueLen},
		{name: "MaxValueLen+1", size: kv.MaxValueLen + 1, tooBig: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v []byte
			if !tt.isNil {
				v = make([]byte, tt.size)
			}
			err := kv.CheckValue(v)
			if got := errors.Is(err, kv.ErrValueTooLarge); got != tt.tooBig {
				t.Fatalf("CheckValue(%d bytes) = %v; want too large %v", tt.size, err, tt.tooBig)
			}
		})
	}
}

func TestStoresResolve(t *testing.T) {
	a := memory.New()
	stores := kv.Stores{"default": a, "nil": nil}
	tests := []struct {
		name, label string
		want        kv.Store
	}{
		{"known", "default", a},
		{"unknown", "other", nil},
		{"nil entry", "nil", nil},
		{"empty label", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stores.Resolve(t.Context(), tt.label)
			if tt.want == nil {
				if !errors.Is(err, kv.ErrNoSuchStore) || got != nil {
					t.Fatalf("Resolve(%q) = %v, %v; want kv.ErrNoSuchStore", tt.label, got, err)
				}
				if !strings.Contains(err.Error(), `"`+tt.label+`"`) {
					t.Fatalf("error %q does not name the label", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve(%q) = %v, %v", tt.label, got, err)
			}
		})
	}
}

// plainStore hides the optional interfaces of the memory store, and counts
// the calls the helpers make.
type plainStore struct {
	kv.Store
	gets, sets, deletes, lists int
	failListAt                 int // fail the List call with this number (1-based); 0 never
}

var errList = errors.New("list failed")

func (p *plainStore) Get(ctx context.Context, k string) ([]byte, error) {
	p.gets++
	return p.Store.Get(ctx, k)
}

func (p *plainStore) Set(ctx context.Context, k string, v []byte) error {
	p.sets++
	return p.Store.Set(ctx, k, v)
}

func (p *plainStore) Delete(ctx context.Context, k string) error {
	p.deletes++
	return p.Store.Delete(ctx, k)
}

func (p *plainStore) List(ctx context.Context, o kv.ListOptions) (kv.ListPage, error) {
	p.lists++
	if p.lists == p.failListAt {
		return kv.ListPage{}, errList
	}
	return p.Store.List(ctx, o)
}

func TestHelpersFallBack(t *testing.T) {
	ctx := t.Context()
	p := &plainStore{Store: memory.New()}
	if err := kv.SetMany(ctx, p, map[string][]byte{"a": []byte("1"), "b": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	if p.sets != 2 {
		t.Fatalf("SetMany made %d Set calls, want 2", p.sets)
	}
	got, err := kv.GetMany(ctx, p, []string{"a", "b", "missing"})
	if err != nil || len(got) != 2 || string(got["a"]) != "1" || string(got["b"]) != "2" {
		t.Fatalf("GetMany = %q, %v", got, err)
	}
	if p.gets != 3 {
		t.Fatalf("GetMany made %d Get calls, want 3", p.gets)
	}
	if err := kv.DeleteMany(ctx, p, []string{"a", "missing"}); err != nil {
		t.Fatal(err)
	}
	if p.deletes != 2 {
		t.Fatalf("DeleteMany made %d Delete calls, want 2", p.deletes)
	}
	// GetMany stops at the first error other than ErrNotFound.
	if _, err := kv.GetMany(ctx, p, []string{"b", "bad\xff"}); !errors.Is(err, kv.ErrInvalidKey) {
		t.Fatalf("GetMany with an invalid key = %v, want kv.ErrInvalidKey", err)
	}
	if err := kv.SetMany(ctx, p, map[string][]byte{"bad\xff": nil}); !errors.Is(err, kv.ErrInvalidKey) {
		t.Fatalf("SetMany with an invalid key = %v", err)
	}
	if err := kv.DeleteMany(ctx, p, []string{"bad\xff"}); !errors.Is(err, kv.ErrInvalidKey) {
		t.Fatalf("DeleteMany with an invalid key = %v", err)
	}
}

func TestHelpersNeverFakeAtomicity(t *testing.T) {
	ctx := t.Context()
	p := &plainStore{Store: memory.New()}
	tests := []struct {
		name string
		call func() error
	}{
		{"Increment", func() error { _, err := kv.Increment(ctx, p, "n", 1); return err }},
		{"CompareAndSwap", func() error { _, err := kv.CompareAndSwap(ctx, p, "k", nil, []byte("v")); return err }},
		{"SetWithTTL", func() error { return kv.SetWithTTL(ctx, p, "k", []byte("v"), time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("error %v, want errors.ErrUnsupported", err)
			}
			if p.gets+p.sets != 0 {
				t.Fatalf("the helper touched the store (%d gets, %d sets)", p.gets, p.sets)
			}
		})
	}
}

func TestHelpersUseCapabilities(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	if n, err := kv.Increment(ctx, s, "n", 41); err != nil || n != 41 {
		t.Fatalf("Increment = %d, %v", n, err)
	}
	if ok, err := kv.CompareAndSwap(ctx, s, "k", nil, []byte("v")); err != nil || !ok {
		t.Fatalf("CompareAndSwap = %v, %v", ok, err)
	}
	if err := kv.SetWithTTL(ctx, s, "t", []byte("v"), time.Hour); err != nil {
		t.Fatalf("SetWithTTL = %v", err)
	}
}

func TestKeys(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	var want []string
	for i := range 2500 {
		k := fmt.Sprintf("k%04d", i)
		want = append(want, k)
		if err := s.Set(ctx, k, nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("all pages", func(t *testing.T) {
		p := &plainStore{Store: s}
		got, err := kv.AllKeys(ctx, p, "k")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("AllKeys gave %d keys, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("key %d = %q, want %q", i, got[i], want[i])
			}
		}
		if p.lists != 3 { // 1000 + 1000 + 500 with DefaultListLimit
			t.Fatalf("AllKeys made %d List calls, want 3", p.lists)
		}
	})
	t.Run("early break fetches no more pages", func(t *testing.T) {
		p := &plainStore{Store: s}
		n := 0
		for _, err := range kv.Keys(ctx, p, "") {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if n == 10 {
				break
			}
		}
		if p.lists != 1 {
			t.Fatalf("made %d List calls, want 1", p.lists)
		}
	})
	t.Run("error on the second page", func(t *testing.T) {
		p := &plainStore{Store: s, failListAt: 2}
		var n int
		var gotErr error
		for k, err := range kv.Keys(ctx, p, "") {
			if err != nil {
				if k != "" {
					t.Fatalf("error yielded with key %q", k)
				}
				gotErr = err
				continue
			}
			n++
		}
		if !errors.Is(gotErr, errList) || n != kv.DefaultListLimit {
			t.Fatalf("got %d keys then %v; want %d keys then errList", n, gotErr, kv.DefaultListLimit)
		}
		if _, err := kv.AllKeys(ctx, &plainStore{Store: s, failListAt: 2}, ""); !errors.Is(err, errList) {
			t.Fatalf("AllKeys = %v, want errList", err)
		}
	})
}

func TestCheckTTL(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		invalid bool
	}{
		{"zero", 0, true},
		{"negative", -time.Nanosecond, true},
		{"most negative", math.MinInt64, true},
		{"one nanosecond", time.Nanosecond, false},
		{"largest", math.MaxInt64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kv.CheckTTL(tt.ttl)
			if got := errors.Is(err, kv.ErrInvalidTTL); got != tt.invalid {
				t.Fatalf("CheckTTL(%v) = %v; want invalid %v", tt.ttl, err, tt.invalid)
			}
			if tt.invalid && !strings.HasPrefix(err.Error(), "kv: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}
