package redis

import (
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spindlekv/spindle/kv"
)

// Sentinel errors of this package. Errors from a Store also match the kv
// sentinels (kv.ErrNotFound, kv.ErrClosed, kv.ErrInvalidCursor,
// kv.ErrInvalidTTL, ...) where those apply.
var (
	// ErrUnavailable is wrapped by every error caused by not reaching the
	// Redis server (connection refused or reset, timeouts, a server still
	// loading its data set). The underlying go-redis or network error is
	// wrapped too. Such errors are transient: the Store reconnects on its
	// own and later calls succeed once the server is back.
	ErrUnavailable = errors.New("kv/redis: server unavailable")
)

// DefaultScanCount is the COUNT hint List passes to SCAN when
// Options.ScanCount is zero.
const DefaultScanCount = 1000

// Options configures a Store. The zero value (and a nil *Options) stores
// keys exactly as Spin's Redis store does.
type Options struct {
	// KeyPrefix is prepended to every key in Redis and stripped from keys
	// that List returns; List only sees keys that carry it. The default,
	// "", stores keys unprefixed, exactly as Spin does, so all stores on
	// one Redis database share one keyspace. A prefix such as "label:"
	// isolates stores that share a database (a Spindle extension).
	KeyPrefix string
	// ScanCount is the COUNT hint List passes to each SCAN call: more keys
	// per round trip, longer server pauses. Zero or negative means
	// DefaultScanCount.
	ScanCount int
}

// Store is a kv.Store backed by a Redis server. It implements kv.Batcher,
// kv.Incrementer, kv.CompareAndSwapper and kv.Expirer, each with one atomic
// Redis command or Lua script.
//
// A Store is safe for concurrent use by multiple goroutines. It does not
// retain slices passed to it, and slices it returns belong to the caller.
type Store struct {
	client    *goredis.Client
	ownClient bool
	prefix    string
	scanCount int
	closed    atomic.Bool
}

var (
	_ kv.Store             = (*Store)(nil)
	_ kv.Batcher           = (*Store)(nil)
	_ kv.Incrementer       = (*Store)(nil)
	_ kv.CompareAndSwapper = (*Store)(nil)
	_ kv.Expirer           = (*Store)(nil)
)

// Open returns a Store for the Redis server at rawURL, in the URL forms
// go-redis accepts (redis://[user:password@]host:port/db, rediss:// for
// TLS, unix:///path.sock?db=N; query parameters such as dial_timeout and
// pool_size tune the client). Open does not contact the server: the first
// call does, and a server that is down surfaces then as an error matching
// ErrUnavailable. Use Ping to check the server at start-up. The Store owns
// the client it creates and closes it in Close. A nil opts means the zero
// Options.
func Open(rawURL string, opts *Options) (*Store, error) {
	copts, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	s := New(goredis.NewClient(copts), opts)
	s.ownClient = true
	return s, nil
}

// ParseURL parses a Redis URL as Open does, into go-redis client options.
// Its errors never repeat the URL, which may hold a password.
func ParseURL(rawURL string) (*goredis.Options, error) {
	copts, err := goredis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error quotes the whole URL
		}
		return nil, fmt.Errorf("kv/redis: parse URL: %w", err)
	}
	return copts, nil
}

// New returns a Store that uses client. The caller keeps ownership of the
// client: Close on the Store does not close it, so several Stores (with
// different KeyPrefix values) can share one connection pool. A nil opts
// means the zero Options.
func New(client *goredis.Client, opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.ScanCount <= 0 {
		o.ScanCount = DefaultScanCount
	}
	return &Store{client: client, prefix: o.KeyPrefix, scanCount: o.ScanCount}
}

// Ping checks that the server answers. It returns an error matching
// ErrUnavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := s.client.Ping(ctx).Err(); err != nil {
		return s.wrap(ctx, "ping", "", err)
	}
	return nil
}

// Get returns the value stored under key, or an error matching
// kv.ErrNotFound. An empty value is returned as a present, empty value
// (Spin 1.5 reported it as missing; Spin 2 and later as present).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.checkKey(key); err != nil {
		return nil, err
	}
	v, err := s.client.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("kv/redis: get %q: %w", key, kv.ErrNotFound)
	}
	if err != nil {
		return nil, s.wrap(ctx, "get", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Set stores value under key with SET, removing any expiry the key had. A
// nil error means the server acknowledged the write; how durable it is
// depends on the server's persistence settings (appendonly and
// appendfsync).
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	if err := kv.CheckValue(value); err != nil {
		return fmt.Errorf("kv/redis: set %q: %w", key, err)
	}
	if err := s.client.Set(ctx, s.prefix+key, value, 0).Err(); err != nil {
		return s.wrap(ctx, "set", key, err)
	}
	return nil
}

// SetWithTTL stores value under key with SET PX, so that it expires after
// ttl, rounded up to a whole millisecond (Redis's resolution). A ttl of
// zero or less gives an error matching kv.ErrInvalidTTL.
func (s *Store) SetWithTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	if err := kv.CheckTTL(ttl); err != nil {
		return fmt.Errorf("kv/redis: set with TTL %q: %w", key, err)
	}
	if err := kv.CheckValue(value); err != nil {
		return fmt.Errorf("kv/redis: set with TTL %q: %w", key, err)
	}
	ms := ttl.Milliseconds()
	if ttl%time.Millisecond != 0 {
		ms++ // rounded up; adding before dividing would overflow
	}
	if err := s.client.Do(ctx, "SET", s.prefix+key, value, "PX", ms).Err(); err != nil {
		return s.wrap(ctx, "set with TTL", key, err)
	}
	return nil
}

// Delete removes key with DEL. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(key); err != nil {
		return err
	}
	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return s.wrap(ctx, "delete", key, err)
	}
	return nil
}

// Exists reports whether key is present, with EXISTS.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if err := s.checkKey(key); err != nil {
		return false, err
	}
	n, err := s.client.Exists(ctx, s.prefix+key).Result()
	if err != nil {
		return false, s.wrap(ctx, "exists", key, err)
	}
	return n > 0, nil
}

// List returns one page of keys in ascending byte order.
//
// Redis has no ordered key index, so each call walks the whole keyspace
// with SCAN MATCH <KeyPrefix+Prefix, glob-escaped>* and keeps only the
// Limit smallest keys after the cursor in a bounded heap: memory is
// O(Limit), but every page costs O(keys in the database) of server work
// and about keys/ScanCount round trips, so listing n keys page by page
// costs O(n²/Limit). Keys added or removed during a listing may or may not
// appear; no key present throughout is skipped or repeated. The cursor
// is the last key of the page.
func (s *Store) List(ctx context.Context, opts kv.ListOptions) (kv.ListPage, error) {
	if err := s.check(); err != nil {
		return kv.ListPage{}, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = kv.DefaultListLimit
	}
	// limit+1 below must not overflow; no page can hold more keys anyway.
	limit = min(limit, math.MaxInt32)
	after, hasAfter, err := decodeCursor(opts.Cursor)
	if err != nil {
		return kv.ListPage{}, err
	}
	match := globEscape(s.prefix+opts.Prefix) + "*"
	// best holds up to limit+1 keys, the largest on top; one extra key
	// tells whether another page follows.
	best := &maxHeap{in: map[string]bool{}}
	var cur uint64
	for {
		keys, next, err := s.client.Scan(ctx, cur, match, int64(s.scanCount)).Result()
		if err != nil {
			return kv.ListPage{}, s.wrap(ctx, "list", opts.Prefix, err)
		}
		for _, rk := range keys {
			k, ok := strings.CutPrefix(rk, s.prefix)
			if !ok || !strings.HasPrefix(k, opts.Prefix) || (hasAfter && k <= after) || best.in[k] {
				continue
			}
			if best.Len() > limit && k >= best.keys[0] {
				continue
			}
			heap.Push(best, k)
			if best.Len() > limit+1 {
				heap.Pop(best)
			}
		}
		if next == 0 {
			break
		}
		cur = next
	}
	keys := best.keys
	slices.Sort(keys)
	page := kv.ListPage{Keys: keys}
	if len(keys) > limit {
		page.Keys = keys[:limit:limit]
		page.Cursor = encodeCursor(keys[limit-1])
	}
	if page.Keys == nil {
		page.Keys = []string{}
	}
	return page, nil
}

// GetMany returns the values of the keys that exist, with one MGET;
// missing keys are absent from the map.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := s.checkKeys(keys); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = s.prefix + k
	}
	vals, err := s.client.MGet(ctx, rkeys...).Result()
	if err != nil {
		return nil, s.wrap(ctx, "get many", keys[0], err)
	}
	for i, v := range vals {
		switch v := v.(type) {
		case string:
			out[keys[i]] = []byte(v)
		case nil:
		default:
			return nil, fmt.Errorf("kv/redis: get many %q: unexpected reply type %T", keys[i], v)
		}
	}
	return out, nil
}

// SetMany stores every pair with one MSET, which is atomic: readers see
// all of the new values or none. It removes any expiry the keys had.
func (s *Store) SetMany(ctx context.Context, values map[string][]byte) error {
	if err := s.check(); err != nil {
		return err
	}
	if len(values) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(values))
	var first string
	for k, v := range values {
		if err := kv.CheckKey(k); err != nil {
			return fmt.Errorf("kv/redis: set many: %w", err)
		}
		if err := kv.CheckValue(v); err != nil {
			return fmt.Errorf("kv/redis: set many %q: %w", k, err)
		}
		if v == nil {
			v = []byte{}
		}
		args = append(args, s.prefix+k, v)
		first = k
	}
	if err := s.client.MSet(ctx, args...).Err(); err != nil {
		return s.wrap(ctx, "set many", first, err)
	}
	return nil
}

// DeleteMany removes every key with one DEL, which is atomic. Missing keys
// are not an error.
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	if err := s.checkKeys(keys); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = s.prefix + k
	}
	if err := s.client.Del(ctx, rkeys...).Err(); err != nil {
		return s.wrap(ctx, "delete many", keys[0], err)
	}
	return nil
}

// incrementScript adds an 8-byte little-endian two's-complement delta
// (ARGV[1]) to the counter under KEYS[1], byte by byte with carry (Lua 5.1
// numbers are doubles and cannot hold every int64), wrapping around on
// overflow. A missing key counts as 0. The plain SET drops any expiry.
var incrementScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then cur = string.rep(string.char(0), 8) end
if #cur ~= 8 then return redis.error_reply('NOTCOUNTER value is ' .. #cur .. ' bytes') end
local d = ARGV[1]
local out = {}
local carry = 0
for i = 1, 8 do
  local sum = string.byte(cur, i) + string.byte(d, i) + carry
  out[i] = sum % 256
  carry = math.floor(sum / 256)
end
local res = string.char(unpack(out))
redis.call('SET', KEYS[1], res)
return res
`)

// Increment adds delta to the counter under key and returns the new value.
// The counter is an 8-byte little-endian int64, as the kv.Incrementer
// contract and Spin's SQLite store have it (not the decimal text of
// INCRBY, which Spin 3's Redis store uses: see the package doc), updated by
// a Lua script that runs atomically on the server. An existing value that is not 8 bytes long
// gives an error matching kv.ErrNotCounter and is left unchanged. The sum
// wraps around on overflow, as two's-complement addition does (and as
// Spin's release builds do). Like the other stores, and unlike INCRBY, the
// counter keeps no expiry.
func (s *Store) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	if err := s.checkKey(key); err != nil {
		return 0, err
	}
	d := binary.LittleEndian.AppendUint64(nil, uint64(delta))
	res, err := incrementScript.Run(ctx, s.client, []string{s.prefix + key}, d).Text()
	if err != nil {
		var rerr goredis.Error
		if errors.As(err, &rerr) {
			if msg := rerr.Error(); strings.HasPrefix(msg, "NOTCOUNTER") {
				return 0, fmt.Errorf("kv/redis: increment %q: %w (%s)", key, kv.ErrNotCounter, strings.TrimPrefix(msg, "NOTCOUNTER "))
			}
		}
		return 0, s.wrap(ctx, "increment", key, err)
	}
	if len(res) != 8 {
		return 0, fmt.Errorf("kv/redis: increment %q: script returned %d bytes", key, len(res))
	}
	return int64(binary.LittleEndian.Uint64([]byte(res))), nil
}

// casScript sets KEYS[1] to ARGV[3] if it is absent (ARGV[1] == "0") or
// holds ARGV[2] (ARGV[1] == "1"), and returns 1 if it did.
var casScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 0 end
elseif (not cur) or cur ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
`)

// CompareAndSwap sets key to value if its current value equals old (nil
// old: the key is absent) and reports whether it did, with a Lua script
// that runs atomically on the server. A swap removes any expiry the key
// had, as Set does.
//
// Unlike Spin's SQLite store, whose compare-and-swap after reading "absent"
// is a plain upsert, a nil old fails when the key exists: that is the
// kv.CompareAndSwapper contract.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, value []byte) (bool, error) {
	if err := s.checkKey(key); err != nil {
		return false, err
	}
	if err := kv.CheckValue(value); err != nil {
		return false, fmt.Errorf("kv/redis: compare-and-swap %q: %w", key, err)
	}
	mode := "1"
	if old == nil {
		mode, old = "0", []byte{}
	}
	if value == nil {
		value = []byte{}
	}
	n, err := casScript.Run(ctx, s.client, []string{s.prefix + key}, mode, old, value).Int64()
	if err != nil {
		return false, s.wrap(ctx, "compare-and-swap", key, err)
	}
	return n == 1, nil
}

// Close marks the Store closed and, if it was made by Open, closes its
// client and connections. Later calls return an error matching
// kv.ErrClosed. Close is idempotent and returns nil after the first call.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.ownClient {
		if err := s.client.Close(); err != nil {
			return fmt.Errorf("kv/redis: close: %w", err)
		}
	}
	return nil
}

func (s *Store) check() error {
	if s.closed.Load() {
		return fmt.Errorf("kv/redis: %w", kv.ErrClosed)
	}
	return nil
}

func (s *Store) checkKey(key string) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := kv.CheckKey(key); err != nil {
		return fmt.Errorf("kv/redis: %w", err)
	}
	return nil
}

func (s *Store) checkKeys(keys []string) error {
	if err := s.check(); err != nil {
		return err
	}
	for _, k := range keys {
		if err := kv.CheckKey(k); err != nil {
			return fmt.Errorf("kv/redis: %w", err)
		}
	}
	return nil
}

// wrap annotates an error from go-redis with the operation and key, and
// classifies it: a closed client matches kv.ErrClosed; a done context
// matches the context's error; a reply error from the server (such as
// WRONGTYPE) is wrapped as is; anything else (network errors, pool
// timeouts, a server still loading) also matches ErrUnavailable.
func (s *Store) wrap(ctx context.Context, op, key string, err error) error {
	switch {
	case errors.Is(err, goredis.ErrClosed):
		return fmt.Errorf("kv/redis: %s %q: %w", op, key, kv.ErrClosed)
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("kv/redis: %s %q: %w (%w)", op, key, ctx.Err(), err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("kv/redis: %s %q: %w", op, key, err)
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) && !transientReply(rerr.Error()) {
		return fmt.Errorf("kv/redis: %s %q: %w", op, key, err)
	}
	return fmt.Errorf("kv/redis: %s %q: %w: %w", op, key, ErrUnavailable, err)
}

// transientReply reports whether a server error reply means the server
// cannot serve yet rather than that the command is wrong.
func transientReply(msg string) bool {
	for _, p := range []string{"LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "BUSY "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// globEscape makes every byte of s literal in a Redis glob pattern.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\^`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\', '^':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// cursorMark starts every cursor List returns, so that a cursor from
// another store is rejected rather than misread.
const cursorMark = "redis:"

func encodeCursor(last string) string { return cursorMark + last }

func decodeCursor(c string) (after string, ok bool, err error) {
	if c == "" {
		return "", false, nil
	}
	after, ok = strings.CutPrefix(c, cursorMark)
	if !ok || kv.CheckKey(after) != nil {
		return "", false, fmt.Errorf("kv/redis: list: %w: %q", kv.ErrInvalidCursor, c)
	}
	return after, true, nil
}

// maxHeap is a max-heap of keys with a membership set (SCAN may return a
// key more than once).
type maxHeap struct {
	keys []string
	in   map[string]bool
}

func (h *maxHeap) Len() int           { return len(h.keys) }
func (h *maxHeap) Less(i, j int) bool { return h.keys[i] > h.keys[j] }
func (h *maxHeap) Swap(i, j int)      { h.keys[i], h.keys[j] = h.keys[j], h.keys[i] }
func (h *maxHeap) Push(x any) {
	k := x.(string)
	h.keys = append(h.keys, k)
	h.in[k] = true
}

func (h *maxHeap) Pop() any {
	k := h.keys[len(h.keys)-1]
	h.keys = h.keys[:len(h.keys)-1]
	delete(h.in, k)
	return k
}
