package httptrigger

import (
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"slices"
	"strconv"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/internal/wagi"
)

// Names of the headers Spin adds to every request, in the order it
// appends them (compute_default_headers in v1.5.1:crates/trigger-http/src/).
const (
	hdrPathInfo          = "spin-path-info"
	hdrFullURL           = "spin-full-url"
	hdrMatchedRoute      = "spin-matched-route"
	hdrBasePath          = "spin-base-path"
	hdrRawComponentRoute = "spin-raw-component-route"
	hdrComponentRoute    = "spin-component-route"
	hdrClientAddr        = "spin-client-addr"
)

// spinHeaderCount is the number of spin-* headers added to a request.
const spinHeaderCount = 7

// uriOf returns path + "?" + query (query kept verbatim), the uri field.
func uriOf(r *http.Request, path string) string {
	if r.URL.RawQuery == "" && !r.URL.ForceQuery {
		return path
	}
	return path + "?" + r.URL.RawQuery
}

// fullURL is the value of spin-full-url.
func fullURL(r *http.Request, uri string) string {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + host + uri
}

// spinValues returns the spin-* header values for a request.
func (t *target) spinValues(r *http.Request, path, uri string) wagi.SpinValues {
	return wagi.SpinValues{
		PathInfo:          t.pattern.PathInfo(path),
		FullURL:           fullURL(r, uri),
		MatchedRoute:      t.matched,
		BasePath:          t.base,
		RawComponentRoute: t.raw,
		ComponentRoute:    t.compRoute,
		ClientAddr:        r.RemoteAddr,
	}
}

// compareFold compares a and b as their ASCII-lower-cased forms would
// compare, without allocating.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lowerByte(a[i]), lowerByte(b[i])
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// requestBuilder holds the buffers of one request's host.HTTPRequest;
// the Handler pools them.
type requestBuilder struct {
	keys []string
	req  host.HTTPRequest
}

// build fills b.req for r: the client's headers as the guest gets them
// (host first, since Go keeps it out of r.Header, then the others sorted
// by lower-case name, one field per value in the order received), then
// the seven spin-* headers in Spin's order. host.Module lower-cases the
// names as the ABI requires.
func (b *requestBuilder) build(r *http.Request, uri string, sv *wagi.SpinValues, body []byte, o *Options) *host.HTTPRequest {
	b.keys = b.keys[:0]
	n := spinHeaderCount
	for k, vs := range r.Header {
		b.keys = append(b.keys, k)
		n += len(vs)
	}
	slices.SortFunc(b.keys, compareFold)
	hs := slices.Grow(b.req.Headers[:0], n+1)
	if r.Host != "" {
		hs = append(hs, host.HTTPField{Name: "host", Value: r.Host})
	}
	for _, k := range b.keys {
		for _, v := range r.Header[k] {
			hs = append(hs, host.HTTPField{Name: k, Value: v})
		}
	}
	hs = append(hs,
		host.HTTPField{Name: hdrPathInfo, Value: sv.PathInfo},
		host.HTTPField{Name: hdrFullURL, Value: sv.FullURL},
		host.HTTPField{Name: hdrMatchedRoute, Value: sv.MatchedRoute},
		host.HTTPField{Name: hdrBasePath, Value: sv.BasePath},
		host.HTTPField{Name: hdrRawComponentRoute, Value: sv.RawComponentRoute},
		host.HTTPField{Name: hdrComponentRoute, Value: sv.ComponentRoute},
		host.HTTPField{Name: hdrClientAddr, Value: sv.ClientAddr},
	)
	b.req = host.HTTPRequest{
		Method:                 r.Method,
		URI:                    uri,
		Headers:                hs,
		Body:                   body,
		MaxResponseHeaders:     o.MaxResponseHeaders,
		MaxResponseHeaderBytes: o.MaxResponseHeaderBytes,
	}
	return &b.req
}

// getBuilder takes request buffers from the handler's pool.
func (h *Handler) getBuilder() *requestBuilder {
	if b, ok := h.pool.Get().(*requestBuilder); ok {
		return b
	}
	return &requestBuilder{}
}

// putBuilder returns request buffers to the pool, dropping big ones and
// the references to the request.
func (h *Handler) putBuilder(b *requestBuilder) {
	if cap(b.req.Headers) > 1024 || cap(b.keys) > 1024 {
		return
	}
	// Only [:len] can hold references: everything past it was cleared
	// when the buffers were last put back (or is fresh from Grow).
	clear(b.keys)
	clear(b.req.Headers)
	b.req = host.HTTPRequest{Headers: b.req.Headers[:0]}
	h.pool.Put(b)
}

// initialBodyBuffer bounds the buffer readBody starts with: the request's
// Content-Length is the client's claim, not a size to allocate.
const initialBodyBuffer = 64 << 10

// readBody buffers the request body up to the limit. It returns a status
// other than 0 when the request must be refused: 413 when the body is too
// large, 400 when it cannot be read.
func (h *Handler) readBody(r *http.Request) ([]byte, int) {
	limit := h.opts.MaxBodyBytes
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0
	}
	if limit >= 0 && r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge
	}
	var body []byte
	if r.ContentLength > 0 {
		body = make([]byte, 0, min(r.ContentLength, initialBodyBuffer))
	}
	var src io.Reader = r.Body
	if limit >= 0 {
		src = io.LimitReader(r.Body, limit+1)
	}
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
		n, err := src.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, http.StatusRequestTimeout
			}
			return nil, http.StatusBadRequest
		}
	}
	if limit >= 0 && int64(len(body)) > limit {
		return nil, http.StatusRequestEntityTooLarge
	}
	return body, 0
}

// serveSpin runs t's component with the Spin executor: httptrigger builds
// the request and decides what is sent back; host.HTTPHandler does the
// rest.
func (h *Handler) serveSpin(w http.ResponseWriter, r *http.Request, t *target, path string) {
	// Spin collects the body before it looks at the method
	// (crates/trigger-http/src/spin.rs, SpinHttpExecutor::execute).
	body, status := h.readBody(r)
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	uri := uriOf(r, path)
	sv := t.spinValues(r, path, uri)
	b := h.getBuilder()
	defer h.putBuilder(b)
	req := b.build(r, uri, &sv, body, &h.opts)
	// No context.WithTimeout here: the instance gets the timeout (its
	// guest code is interrupted at the deadline by the epoch callback), so
	// a request that uses no store starts no timer.
	ctx := r.Context()
	var handler host.HTTPHandler = t.comp
	resp, err := handler.HandleHTTP(ctx, req, &host.InstanceOptions{Timeout: h.opts.Timeout})
	if errors.Is(err, host.ErrMethodNotAllowed) {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if err != nil {
		h.logFailure(ctx, t, r, path, err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeResponse(w, r, resp)
}

// writeResponse sends a guest's response. Headers are set, not added, so
// for a repeated name the last value wins (as Spin 1.x's
// append_headers leaves them). The framing is the server's: a guest's
// transfer-encoding and connection are dropped, and its content-length
// only kept when it is the length of the body (or, for HEAD and 304 with
// no body, any valid length). Only the guest's headers are sent: net/http
// is kept from sniffing a Content-Type the guest never set.
func writeResponse(w http.ResponseWriter, r *http.Request, resp *host.HTTPResponse) {
	hdr := w.Header()
	for _, f := range resp.Headers {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		switch k {
		case "Transfer-Encoding", "Connection":
			continue
		case "Content-Length":
			if !validLength(f.Value, len(resp.Body), r.Method == http.MethodHead || resp.Status == http.StatusNotModified) {
				continue
			}
		}
		hdr[k] = []string{f.Value}
	}
	if _, ok := hdr["Content-Type"]; !ok {
		hdr["Content-Type"] = nil // net/http sends no header for a nil value
	}
	w.WriteHeader(resp.Status)
	if len(resp.Body) > 0 {
		w.Write(resp.Body) //nolint:errcheck // the client may have gone; nothing to do
	}
}

// validLength reports whether a guest's content-length v may be sent with
// a body of n bytes: v is a decimal length equal to n, or, when the body
// is not sent (noBody), any decimal length with an empty body.
func validLength(v string, n int, noBody bool) bool {
	l, err := strconv.ParseUint(v, 10, 63) // digits only: no sign, no spaces
	if err != nil {
		return false
	}
	return l == uint64(n) || noBody && n == 0
}
