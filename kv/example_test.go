package kv_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// A Stores map is the simplest Resolver: labels a component may open, each
// bound to a store the caller owns.
func ExampleStores() {
	ctx := context.Background()
	def := memory.New()
	defer def.Close()
	stores := kv.Stores{"default": def}

	s, err := stores.Resolve(ctx, "default")
	fmt.Println(s == kv.Store(def), err)
	_, err = stores.Resolve(ctx, "cache")
	fmt.Println(errors.Is(err, kv.ErrNoSuchStore), err)
	// Output:
	// true <nil>
	// true kv: no such store: "cache"
}

func ExampleKeys() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()
	for _, k := range []string{"user/2", "user/10", "user/1", "order/1"} {
		s.Set(ctx, k, nil)
	}
	// Keys come in ascending byte order, a page at a time.
	for k, err := range kv.Keys(ctx, s, "user/") {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(k)
	}
	// Output:
	// user/1
	// user/10
	// user/2
}

func ExampleGetMany() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()
	kv.SetMany(ctx, s, map[string][]byte{"a": []byte("1"), "b": []byte("2")})

	values, _ := kv.GetMany(ctx, s, []string{"a", "b", "missing"})
	fmt.Printf("%d values, a=%s b=%s\n", len(values), values["a"], values["b"])
	_, found := values["missing"]
	fmt.Println("missing present:", found)
	// Output:
	// 2 values, a=1 b=2
	// missing present: false
}

// onlyStore has no optional capabilities.
type onlyStore struct{ kv.Store }

// Increment is atomic or it fails: a store without kv.Incrementer gives an
// error matching errors.ErrUnsupported instead of a racy read-modify-write.
func ExampleIncrement() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	n, err := kv.Increment(ctx, s, "hits", 5)
	fmt.Println(n, err)
	v, _ := s.Get(ctx, "hits")
	fmt.Println(v) // 8-byte little-endian, as Spin stores counters

	_, err = kv.Increment(ctx, onlyStore{s}, "hits", 1)
	fmt.Println(errors.Is(err, errors.ErrUnsupported))
	// Output:
	// 5 <nil>
	// [5 0 0 0 0 0 0 0]
	// true
}

// Every store reports a bad TTL with the same sentinel, wrapped with the
// driver's prefix and the key; CheckTTL makes the sentinel's error for a
// store implementation to wrap.
func ExampleCheckTTL() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	err := s.SetWithTTL(ctx, "session", []byte("token"), 0)
	fmt.Println(errors.Is(err, kv.ErrInvalidTTL))
	fmt.Println(err)
	fmt.Println(kv.CheckTTL(time.Minute))
	// Output:
	// true
	// kv/memory: set with TTL "session": kv: invalid TTL: 0s is not positive
	// <nil>
}
