package host

import (
	"context"
	"errors"
)

// HTTPHandler is implemented by a compiled guest that serves HTTP
// requests: a [*Module] speaking the Spin 1.x handle-http-request ABI now,
// a WebAssembly component's wasi:http/incoming-handler next. It is the one
// HTTP-call interface of the package; package httptrigger calls nothing
// else to run a request.
//
// HandleHTTP runs one request in a fresh instance made with opts (see
// [Module.Instantiate] for the deadline and the context) and returns the
// guest's response, fully read and checked: its status is within
// 100..=600 and every header is a valid HTTP field. The instance is closed
// before HandleHTTP returns. req is only read, and may be reused once
// HandleHTTP returns; the response shares no memory with it or with the
// guest. Implementations are safe for concurrent use.
//
// Errors: a method the guest's ABI cannot express matches
// [ErrMethodNotAllowed] and the guest is not run; a request the ABI
// cannot carry (a string that is not UTF-8, more than 4 GiB) matches
// [ErrInvalidRequest]; a guest failure, including a malformed response or
// one over req's response limits, matches [ErrTrap].
type HTTPHandler interface {
	HandleHTTP(ctx context.Context, req *HTTPRequest, opts *InstanceOptions) (*HTTPResponse, error)
}

// HTTPField is one HTTP header: a name and one value.
type HTTPField struct {
	Name, Value string
}

// HTTPRequest is a request as a guest receives it. The caller decides
// what it holds (package httptrigger adds Spin's spin-* headers); the
// handler passes it on as it is, apart from what its ABI requires (the
// Spin 1.x ABI lower-cases ASCII header names).
type HTTPRequest struct {
	// Method is the request method, upper case as on the wire ("GET").
	Method string
	// URI is the path and query as the guest sees them, still
	// percent-encoded ("/a%20b?x=1").
	URI string
	// Headers are passed in this order, one field per value.
	Headers []HTTPField
	// Body is the whole request body; the Spin 1.x ABI always passes one,
	// empty if nil.
	Body []byte

	// MaxResponseHeaders bounds the number of header fields the guest may
	// return; more fail the request (ErrTrap) before the host allocates
	// for them. Zero means DefaultMaxResponseHeaders; negative means no
	// limit.
	MaxResponseHeaders int
	// MaxResponseHeaderBytes bounds the total length of the names and
	// values of the response headers, checked before each one is read.
	// Zero means DefaultMaxResponseHeaderBytes; negative means no limit.
	MaxResponseHeaderBytes int
}

// HTTPResponse is a guest's response.
type HTTPResponse struct {
	// Status is the HTTP status code, 100..=600.
	Status int
	// Headers are the guest's header fields, in the guest's order, each
	// a valid HTTP field name and value. Names are as the guest wrote them.
	Headers []HTTPField
	// Body is the response body; nil when the guest returned none. Its
	// size is bounded by the guest's linear memory (Options.MaxMemory),
	// where it had to fit.
	Body []byte
}

// Defaults for the response limits of an HTTPRequest left zero. They are
// far above what Spin applications send: Go's net/http bounds a request's
// header block at 1 MiB (http.DefaultMaxHeaderBytes) and hyper, which
// Spin uses, parses at most 100 headers per message by default.
const (
	// DefaultMaxResponseHeaders is the number of header fields a guest
	// may return.
	DefaultMaxResponseHeaders = 1000
	// DefaultMaxResponseHeaderBytes is the total length of the names and
	// values of the header fields a guest may return.
	DefaultMaxResponseHeaderBytes = 1 << 20
)

// Errors of HandleHTTP besides ErrTrap.
var (
	// ErrMethodNotAllowed reports a request method the guest's ABI cannot
	// express (the Spin 1.x ABI has GET, POST, PUT, DELETE, PATCH, HEAD
	// and OPTIONS). The guest is not run.
	ErrMethodNotAllowed = errors.New("host: method not allowed")
	// ErrInvalidRequest reports a request the guest's ABI cannot carry:
	// a string that is not valid UTF-8, or sizes beyond 32 bits. The
	// guest is not run.
	ErrInvalidRequest = errors.New("host: invalid request")
)

// responseLimit returns a response limit: v if positive, def if zero, -1
// (none) if negative.
func responseLimit(v, def int) int {
	switch {
	case v > 0:
		return v
	case v == 0:
		return def
	}
	return -1
}
