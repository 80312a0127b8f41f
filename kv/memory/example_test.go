package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

func Example() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	if err := s.Set(ctx, "greeting", []byte("hello")); err != nil {
		panic(err)
	}
	v, err := s.Get(ctx, "greeting")
	fmt.Printf("%s %v\n", v, err)

	_, err = s.Get(ctx, "missing")
	fmt.Println(errors.Is(err, kv.ErrNotFound))

	n, _ := kv.Increment(ctx, s, "visits", 1)
	n, _ = kv.Increment(ctx, s, "visits", 1)
	fmt.Println("visits:", n)

	keys, _ := kv.AllKeys(ctx, s, "")
	fmt.Println(keys)
	// Output:
	// hello <nil>
	// true
	// visits: 2
	// [greeting visits]
}

// A Resolver gives every label its own keys, as labels of one Spin SQLite
// file do; pass it wherever a kv.Resolver is wanted.
func ExampleResolver() {
	ctx := context.Background()
	r := memory.NewResolver()
	defer r.Close()

	def, _ := r.Resolve(ctx, "default")
	other, _ := r.Resolve(ctx, "other")
	def.Set(ctx, "k", []byte("in default"))
	other.Set(ctx, "k", []byte("in other"))

	v, _ := def.Get(ctx, "k")
	fmt.Printf("%s\n", v)
	v, _ = other.Get(ctx, "k")
	fmt.Printf("%s\n", v)
	// Output:
	// in default
	// in other
}

func ExampleStore_SetWithTTL() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	s.SetWithTTL(ctx, "session", []byte("token"), time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	ok, _ := s.Exists(ctx, "session")
	fmt.Println("still there:", ok)
	// Output:
	// still there: false
}

func ExampleStore_CompareAndSwap() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close()

	// nil old: set only if absent.
	ok, _ := s.CompareAndSwap(ctx, "leader", nil, []byte("a"))
	fmt.Println(ok)
	ok, _ = s.CompareAndSwap(ctx, "leader", nil, []byte("b"))
	fmt.Println(ok)
	ok, _ = s.CompareAndSwap(ctx, "leader", []byte("a"), []byte("b"))
	fmt.Println(ok)
	v, _ := s.Get(ctx, "leader")
	fmt.Printf("%s\n", v)
	// Output:
	// true
	// false
	// true
	// b
}
