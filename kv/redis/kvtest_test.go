package redis_test

import (
	"context"
	"testing"

	"github.com/spindlekv/spindle/internal/redistest"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/kvtest"
	"github.com/spindlekv/spindle/kv/redis"
)

// TestConformance runs the kv conformance suite against a real
// redis-server in both layouts: Spin's (no prefix, every label shares the
// keyspace) and with a per-label key prefix (labels isolated, and the
// server restarted to check persistence).
func TestConformance(t *testing.T) {
	tests := []struct {
		name     string
		prefixed bool
	}{
		{name: "spin layout", prefixed: false},
		{name: "key prefix per label", prefixed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One server for the whole suite, emptied for every case. The
			// prefixed run persists every write so that Reopen can restart
			// the server.
			srv := redistest.Start(t, &redistest.Options{AppendOnly: tt.prefixed})
			raw := rawClient(t, srv)
			h := kvtest.Harness{
				ErrorPrefix:     "kv/redis: ",
				LabelsShareKeys: !tt.prefixed,
				NewBackend: func(t *testing.T) kvtest.Backend {
					if err := raw.FlushAll(t.Context()).Err(); err != nil {
						t.Fatalf("FLUSHALL: %v", err)
					}
					b := kvtest.Backend{
						Open: func(_ context.Context, label string) (kv.Store, error) {
							var opts *redis.Options
							if tt.prefixed {
								opts = &redis.Options{KeyPrefix: label + ":"}
							}
							return redis.Open(srv.URL, opts)
						},
					}
					if tt.prefixed {
						b.Reopen = func(context.Context) error {
							srv.Stop(t)
							srv.Restart(t)
							return nil
						}
					}
					return b
				},
			}
			kvtest.Run(t, h)
		})
	}
}
