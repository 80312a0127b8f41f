//go:build !wasip1

package spinguest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/spindlekv/spindle/examples/spinguest"
)

// A component's handler is an ordinary func(http.ResponseWriter,
// *http.Request): register it from init with Handle, and unit-test it with
// httptest when it needs no key-value store.
func Example() {
	hello := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "Hello from %s", r.URL.Path)
	}
	spinguest.Handle(hello) // in a GOOS=wasip1 build: serves handle-http-request

	rec := httptest.NewRecorder()
	hello(rec, httptest.NewRequest(http.MethodGet, "/test", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 Hello from /test
}

// Open needs a Spin host: outside a GOOS=wasip1 guest it reports
// ErrNotGuest. Inside one, errors match the key-value error cases.
func ExampleOpen() {
	store, err := spinguest.Open("default")
	if errors.Is(err, spinguest.ErrNotGuest) {
		fmt.Println("not running in a wasip1 guest")
		return
	}
	defer store.Close()
	if _, err := store.Get("/missing"); errors.Is(err, spinguest.ErrNoSuchKey) {
		fmt.Println("no such key")
	}
	// Output: not running in a wasip1 guest
}
