package kv

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"
)

// GetMany returns the values of the keys that exist in s; missing keys are
// absent from the map. It uses Batcher when s implements it and otherwise
// calls Get once per key.
func GetMany(ctx context.Context, s Store, keys []string) (map[string][]byte, error) {
	if b, ok := s.(Batcher); ok {
		return b.GetMany(ctx, keys)
	}
	out := make(map[string][]byte, len(keys))
	for _, k := range keys {
		v, err := s.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// SetMany stores every pair in s. It uses Batcher when s implements it and
// otherwise calls Set once per key, in which case an error may leave some
// pairs stored.
func SetMany(ctx context.Context, s Store, values map[string][]byte) error {
	if b, ok := s.(Batcher); ok {
		return b.SetMany(ctx, values)
	}
	for k, v := range values {
		if err := s.Set(ctx, k, v); err != nil {
			return err
		}
	}
	return nil
}

// DeleteMany removes every key from s. It uses Batcher when s implements it
// and otherwise calls Delete once per key.
func DeleteMany(ctx context.Context, s Store, keys []string) error {
	if b, ok := s.(Batcher); ok {
		return b.DeleteMany(ctx, keys)
	}
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Increment adds delta to the counter under key in s. A store that does not
// implement Incrementer gives an error wrapping errors.ErrUnsupported: a
// read-modify-write loop would not be atomic, so none is attempted.
func Increment(ctx context.Context, s Store, key string, delta int64) (int64, error) {
	if i, ok := s.(Incrementer); ok {
		return i.Increment(ctx, key, delta)
	}
	return 0, fmt.Errorf("kv: increment %q: %T: %w", key, s, errors.ErrUnsupported)
}

// CompareAndSwap sets key to value in s if it still holds old (nil old: the
// key is absent). A store that does not implement CompareAndSwapper gives an
// error wrapping errors.ErrUnsupported.
func CompareAndSwap(ctx context.Context, s Store, key string, old, value []byte) (bool, error) {
	if c, ok := s.(CompareAndSwapper); ok {
		return c.CompareAndSwap(ctx, key, old, value)
	}
	return false, fmt.Errorf("kv: compare-and-swap %q: %T: %w", key, s, errors.ErrUnsupported)
}

// SetWithTTL stores value under key in s so that it expires after ttl. A
// store that does not implement Expirer gives an error wrapping
// errors.ErrUnsupported.
func SetWithTTL(ctx context.Context, s Store, key string, value []byte, ttl time.Duration) error {
	if e, ok := s.(Expirer); ok {
		return e.SetWithTTL(ctx, key, value, ttl)
	}
	return fmt.Errorf("kv: set with TTL %q: %T: %w", key, s, errors.ErrUnsupported)
}

// Keys iterates over every key in s that starts with prefix, in ascending
// byte order, fetching one page at a time so that millions of keys never sit
// in memory at once. Iteration stops at the first error, which is yielded
// with an empty key.
func Keys(ctx context.Context, s Store, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		opts := ListOptions{Prefix: prefix}
		for {
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
			if page.Cursor == "" {
				return
			}
			opts.Cursor = page.Cursor
		}
	}
}

// AllKeys returns every key in s that starts with prefix, in ascending byte
// order. Use Keys for stores too large to list at once.
func AllKeys(ctx context.Context, s Store, prefix string) ([]string, error) {
	var keys []string
	for k, err := range Keys(ctx, s, prefix) {
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}
