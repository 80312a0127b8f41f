package httptrigger_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/httptrigger"
	"github.com/spindlekv/spindle/kv"
	"github.com/spindlekv/spindle/kv/memory"
)

// twoComponentTOML routes /slow/... to a kv guest (whose store can be
// gated) and /ok to a static guest.
const twoComponentTOML = `spin_manifest_version = "1"
name = "two"
version = "0.1.0"
trigger = { type = "http", base = "/" }

[[component]]
id = "slow"
source = "kv.wasm"
key_value_stores = ["default"]
[component.trigger]
route = "/slow/..."

[[component]]
id = "ok"
source = "ok.wasm"
[component.trigger]
route = "/ok"
`

// gatedApp builds a handler for twoComponentTOML on an engine of
// maxInstances slots, whose "slow" requests block in their store Get
// until the returned release is called.
func gatedApp(t *testing.T, maxInstances int, opts *httptrigger.Options) (*httptrigger.Handler, *gateStore, func()) {
	t.Helper()
	e, err := host.NewEngine(&host.Options{MaxInstances: maxInstances, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	gate := &gateStore{Store: mem, entered: make(chan struct{}, 64), release: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(gate.release) }) }
	t.Cleanup(release)
	app := writeApp(t, twoComponentTOML, map[string]string{
		"kv.wasm": kvGetWAT,
		"ok.wasm": staticWAT(200, 0, 0, 0, 1, 2048, 2, map[int]string{2048: "ok"}),
	})
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	h, err := httptrigger.New(t.Context(), app, e, kv.Stores{"default": gate}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h, gate, release
}

// TestComponentShare: with an engine of 4 slots and a share of 2 per
// component, 6 requests stuck in one component hold only 2 slots, so a
// request to another component is answered at once; a request waiting
// for the stuck component's share gets 503 when its context ends,
// without entering the guest.
func TestComponentShare(t *testing.T) {
	h, gate, release := gatedApp(t, 4, &httptrigger.Options{MaxConcurrentPerComponent: 2, Timeout: time.Minute})
	var wg sync.WaitGroup
	codes := make(chan int, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- serve(h, httptest.NewRequest("GET", "/slow/k", nil)).Code
		}()
	}
	<-gate.entered
	<-gate.entered // the share is held

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if w := serve(h, httptest.NewRequest("GET", "/slow/k", nil).WithContext(ctx)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("request over the share: status %d, want 503", w.Code)
	}
	// Without the share the four other requests would take the engine's
	// remaining slots and /ok would wait for the stuck ones; its context
	// bounds that wait so that the test fails instead of hanging.
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if w := serve(h, httptest.NewRequest("GET", "/ok", nil).WithContext(ctx)); w.Code != 200 || w.Body.String() != "ok" {
		t.Errorf("/ok while another component is saturated: %d %q, want 200 \"ok\"", w.Code, w.Body)
	}
	if n := len(gate.entered); n != 0 {
		t.Errorf("%d more requests entered the stuck component beyond its share of 2", n)
	}
	release()
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 404 { // the key does not exist: the guest ran and answered
			t.Errorf("queued request: status %d, want 404", c)
		}
	}
}

// TestComponentShareTimeout: a request that waits for its component's
// share longer than Options.Timeout gets 503.
func TestComponentShareTimeout(t *testing.T) {
	h, gate, release := gatedApp(t, 4, &httptrigger.Options{MaxConcurrentPerComponent: 1, Timeout: 100 * time.Millisecond})
	// The first request keeps the share past its own deadline, so the
	// second can only get it by waiting longer than Timeout.
	gate.hold = true
	done := make(chan int)
	go func() { done <- serve(h, httptest.NewRequest("GET", "/slow/k", nil)).Code }()
	<-gate.entered
	if w := serve(h, httptest.NewRequest("GET", "/slow/k", nil)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
	release()
	<-done
}

// readRecorder is a request body that records whether it was read.
type readRecorder struct {
	r    io.Reader
	read atomic.Bool
}

func (b *readRecorder) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

// TestBodyBudget: with MaxBodyBytesInFlight of 1 MiB held by a request
// whose 768 KiB body is buffered (its guest is stuck), a second 768 KiB
// request does not have its body read: it waits, and gets 503 when its
// context ends. Small requests still pass, and the budget is given back.
func TestBodyBudget(t *testing.T) {
	const size = 768 << 10
	h, gate, release := gatedApp(t, 8, &httptrigger.Options{MaxBodyBytesInFlight: 1 << 20, Timeout: time.Minute})
	first := make(chan int)
	go func() {
		first <- serve(h, httptest.NewRequest("PUT", "/slow/a", bytes.NewReader(make([]byte, size)))).Code
	}()
	<-gate.entered

	body := &readRecorder{r: bytes.NewReader(make([]byte, size))}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	r := httptest.NewRequest("PUT", "/slow/b", body).WithContext(ctx)
	r.ContentLength = size
	if w := serve(h, r); w.Code != http.StatusServiceUnavailable {
		t.Errorf("second large body: status %d, want 503", w.Code)
	}
	if body.read.Load() {
		t.Error("the second body was read although the budget was used up")
	}
	if w := serve(h, httptest.NewRequest("PUT", "/ok", strings.NewReader("small"))); w.Code != 200 {
		t.Errorf("small body: status %d, want 200", w.Code)
	}
	release()
	if c := <-first; c != 404 {
		t.Errorf("first request: status %d, want 404", c)
	}
	// Everything was given back: a body of the whole budget passes.
	r = httptest.NewRequest("PUT", "/ok", bytes.NewReader(make([]byte, 1<<20)))
	if w := serve(h, r); w.Code != 200 {
		t.Errorf("body of the whole budget after release: status %d, want 200", w.Code)
	}
}

// records is a slog.Handler keeping every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// with returns the records whose message is msg.
func (r *records) with(msg string) []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []slog.Record
	for _, rec := range r.recs {
		if rec.Message == msg {
			out = append(out, rec)
		}
	}
	return out
}

// attr returns the value of rec's attribute key.
func attr(rec slog.Record, key string) slog.Value {
	var v slog.Value
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}

// TestFailureLogLimited: 50 trapping requests log the first failure in
// full and no other within FailureLogInterval; Close reports how many
// were left out.
func TestFailureLogLimited(t *testing.T) {
	recs := &records{}
	app := writeApp(t, v1App("/", "/...", ""), map[string]string{"guest.wasm": trapWAT})
	h, err := httptrigger.New(t.Context(), app, newEngine(t), nil, &httptrigger.Options{
		Logger: slog.New(recs), FailureLogInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != 500 {
			t.Fatalf("status %d, want 500", w.Code)
		}
	}
	failed := recs.with("httptrigger: request failed")
	if len(failed) != 1 {
		t.Fatalf("%d request-failed records, want 1", len(failed))
	}
	if err, _ := attr(failed[0], "err").Any().(error); !errors.Is(err, host.ErrTrap) {
		t.Errorf("first record's err = %v, want the trap", err)
	}
	if err := h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	summary := recs.with("httptrigger: request failures not logged")
	if len(summary) != 1 || attr(summary[0], "suppressed").Int64() != 49 || attr(summary[0], "component").String() != "guest" {
		t.Errorf("summary records %v, want one with component=guest suppressed=49", summary)
	}
}

// TestStalledBodyReleasesBudget: behind a server with a ReadTimeout, a
// client that declares a body and never sends it gets 408 when the server
// gives up, and its MaxBodyBytesInFlight share is free again for the next
// request with a body.
func TestStalledBodyReleasesBudget(t *testing.T) {
	h, _, _ := gatedApp(t, 8, &httptrigger.Options{MaxBodyBytesInFlight: 1 << 20, MaxBodyBytes: 1 << 20, Timeout: time.Minute})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The whole budget, declared and never sent.
	if _, err := fmt.Fprintf(conn, "PUT /slow/k HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\nab", 1<<20); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // the test's own bound
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("stalled request got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: status %d, want 408", resp.StatusCode)
	}
	r, err := http.Post(srv.URL+"/ok", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Errorf("request after the stalled one: %d, want 200", r.StatusCode)
	}
}

// TestWagiSkippedLinesLogOnce: a WAGI guest printing thousands of lines
// that are not headers gets one log record for them (with the count and
// the first line), not one record per line.
func TestWagiSkippedLinesLogOnce(t *testing.T) {
	recs := &records{}
	out := strings.Repeat("not a header\n", 4000) + "content-type: text/plain\n\nbody"
	app := writeApp(t, v1App("/", "/...", "")+"executor = { type = \"wagi\" }\n",
		map[string]string{"guest.wasm": wagiStaticWAT("_start", out)})
	h, err := httptrigger.New(t.Context(), app, newEngine(t), nil, &httptrigger.Options{Logger: slog.New(recs)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(t.Context())
	if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != 200 || w.Body.String() != "body" {
		t.Fatalf("got %d %q, want 200 \"body\"", w.Code, w.Body)
	}
	got := recs.with("httptrigger: ignored WAGI header lines")
	if len(got) != 1 {
		t.Fatalf("%d records for 4000 ignored lines, want 1", len(got))
	}
	if n := attr(got[0], "count").Int64(); n != 4000 {
		t.Errorf("count = %d, want 4000", n)
	}
	if f := attr(got[0], "first").String(); f != "not a header" {
		t.Errorf("first = %q", f)
	}
}
