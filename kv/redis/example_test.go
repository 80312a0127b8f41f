package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/redis"
)

// Open a store on a Redis server, laid out as Spin lays it out. The example
// needs a server on localhost:6379, so it has no checked output.
func ExampleOpen() {
	ctx := context.Background()
	s, err := redis.Open("redis://localhost:6379/0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Set(ctx, "greeting", []byte("hello")); err != nil {
		if errors.Is(err, redis.ErrUnavailable) {
			log.Fatal("is redis-server running? ", err)
		}
		log.Fatal(err)
	}
	n, err := kv.Increment(ctx, s, "visits", 1) // an 8-byte little-endian counter, as Spin stores it
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("visits:", n)
}

// Share one go-redis client between stores isolated by key prefixes.
func ExampleNew() {
	client := goredis.NewClient(&goredis.Options{Addr: "localhost:6379"})
	defer client.Close() // the caller owns the client
	carts := redis.New(client, &redis.Options{KeyPrefix: "carts:"})
	defer carts.Close()
	sessions := redis.New(client, &redis.Options{KeyPrefix: "sessions:"})
	defer sessions.Close()
	ctx := context.Background()
	if err := carts.Set(ctx, "alice", []byte("3 apples")); err != nil {
		log.Fatal(err)
	}
	_, err := sessions.Get(ctx, "alice")
	fmt.Println(errors.Is(err, kv.ErrNotFound)) // true: another prefix
}
