//go:build wasip1

// Command kvcheck is a test guest that walks Spin's key-value test case
// (v1.5.1:tests/testcases/key-value) through the spinguest SDK and
// answers 200 with an empty body when every step behaved as Spin's does, or
// 500 with the first discrepancy.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/spindlekv/spindle/examples/spinguest"
)

func init() { spinguest.Handle(handle) }

func main() {}

func handle(w http.ResponseWriter, r *http.Request) {
	if err := check(r); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func check(r *http.Request) error {
	if _, err := spinguest.Open("forbidden"); !errors.Is(err, spinguest.ErrAccessDenied) {
		return fmt.Errorf("open(forbidden) = %v, want access denied", err)
	}
	s, err := spinguest.Open("default")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Delete("bar"); err != nil {
		return err
	}
	if ok, err := s.Exists("bar"); ok || err != nil {
		return fmt.Errorf("exists(bar) = %v, %v", ok, err)
	}
	if _, err := s.Get("bar"); !errors.Is(err, spinguest.ErrNoSuchKey) {
		return fmt.Errorf("get(bar) = %v, want no such key", err)
	}
	for _, v := range []string{"baz", "wow", ""} {
		if err := s.Set("bar", []byte(v)); err != nil {
			return err
		}
		if got, err := s.Get("bar"); err != nil || string(got) != v {
			return fmt.Errorf("get(bar) = %q, %v, want %q", got, err, v)
		}
	}
	if ok, err := s.Exists("bar"); !ok || err != nil {
		return fmt.Errorf("exists(bar) = %v, %v", ok, err)
	}
	big := bytes.Repeat([]byte{0, 1, 2, 0xff}, 64<<10) // 256 KiB, grows guest memory
	if err := s.Set("big", big); err != nil {
		return err
	}
	if got, err := s.Get("big"); err != nil || !bytes.Equal(got, big) {
		return fmt.Errorf("get(big): %d bytes, %v", len(got), err)
	}
	// A key seeded by the test through the query string.
	if q := r.URL.Query(); q.Get("testkey") != "" {
		if got, err := s.Get(q.Get("testkey")); err != nil || string(got) != q.Get("testval") {
			return fmt.Errorf("get(%s) = %q, %v, want %q", q.Get("testkey"), got, err, q.Get("testval"))
		}
	}
	keys, err := s.GetKeys()
	if err != nil {
		return err
	}
	slices.Sort(keys)
	want := []string{"bar", "big"}
	if k := r.URL.Query().Get("testkey"); k != "" {
		want = append(want, k)
		slices.Sort(want)
	}
	if !slices.Equal(keys, want) {
		return fmt.Errorf("get-keys = %q, want %q", keys, want)
	}
	for _, k := range keys {
		if err := s.Delete(k); err != nil {
			return err
		}
	}
	if keys, err := s.GetKeys(); err != nil || len(keys) != 0 {
		return fmt.Errorf("get-keys after deletes = %q, %v", keys, err)
	}
	s.Close()
	if _, err := s.Get("bar"); !errors.Is(err, spinguest.ErrClosed) {
		return fmt.Errorf("get after close = %v, want closed", err)
	}
	return nil
}
