//go:build !wasip1

package spinguest

import (
	"fmt"
	"net/http"
)

// Handle registers fn as the component's HTTP handler in a GOOS=wasip1
// guest. In any other build it does nothing: test the handler function
// itself with net/http/httptest.
func Handle(fn func(http.ResponseWriter, *http.Request)) {}

// Open opens the store with the given label in a GOOS=wasip1 guest. In any
// other build it returns an error matching ErrNotGuest.
func Open(label string) (*Store, error) {
	return nil, fmt.Errorf("open %q: %w", label, ErrNotGuest)
}
