package redis_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/internal/redistest"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/redis"
)

// FuzzListPrefix checks that a listing prefix is literal whatever it holds
// (glob metacharacters included): List returns exactly the stored keys that
// start with it, in order. Keys are fuzzed too, with a key prefix on the
// store. It needs a real redis-server, even for the seed corpus.
func FuzzListPrefix(f *testing.F) {
	f.Add("a*", "a*b\nab\na", "p:")
	f.Add(`\`, `\x`+"\n"+`x\`+"\n"+`\\`, "")
	f.Add("[a]", "[a]\na\n[a]]\n[", "[")
	f.Add("?", "?\na\n??", "*")
	f.Add("^", "^a\n[^a]\nb", "")
	f.Add("", "b\na\n\n", "x")
	srv := redistest.Start(f, nil)
	f.Fuzz(func(t *testing.T, prefix, keyList, keyPrefix string) {
		s, err := redis.Open(srv.URL, &redis.Options{KeyPrefix: keyPrefix})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		raw := rawClient(t, srv)
		if err := raw.FlushAll(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		keys := strings.Split(keyList, "\n")
		var want []string
		for _, k := range keys {
			if kv.CheckKey(k) != nil || kv.CheckKey(keyPrefix+k) != nil {
				continue
			}
			if err := s.Set(t.Context(), k, nil); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(k, prefix) && !slices.Contains(want, k) {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		if kv.CheckKey(prefix) != nil {
			return
		}
		got, err := kv.AllKeys(t.Context(), s, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("List(prefix %q) with key prefix %q = %q, want %q", prefix, keyPrefix, got, want)
		}
	})
}
