package spinguest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"unicode/utf8"
)

// Header names Spin adds to every request (v1.5.1:crates/trigger-http/src/lib.rs).
const (
	HeaderFullURL    = "Spin-Full-Url"
	HeaderPathInfo   = "Spin-Path-Info"
	HeaderClientAddr = "Spin-Client-Addr"
)

// methods maps the ABI's method enum (v1.5.1:sdk/go/http/spin-http.h) to Go method names.
var methods = [...]string{
	http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete,
	http.MethodPatch, http.MethodHead, http.MethodOptions,
}

// errBadRequestABI is returned when the host's request does not follow the ABI.
var errBadRequestABI = errors.New("spinguest: malformed request from host")

// retSize is the size of the handle-http-request return area (v1.5.1:sdk/go/http/spin-http.c).
const retSize = 28

// rawRequest is handle-http-request's ten core parameters, in order.
type rawRequest struct {
	method, uriPtr, uriLen, hdrPtr, hdrLen, prmPtr, prmLen, bodyTag, bodyPtr, bodyLen uint32
}

// lift copies the request out of the blocks the host allocated, unpinning
// them (the guest owns export arguments, v1.5.1:sdk/go/http/spin-http.c).
func (raw rawRequest) lift(h *heap) (method, uri string, headers [][2]string, body []byte, err error) {
	if raw.method >= uint32(len(methods)) {
		return "", "", nil, nil, fmt.Errorf("%w: method enum %d", errBadRequestABI, raw.method)
	}
	method = methods[raw.method]
	u, err := h.take(raw.uriPtr, raw.uriLen)
	if err != nil {
		return "", "", nil, nil, fmt.Errorf("uri: %w", err)
	}
	if headers, err = liftTuples(h, raw.hdrPtr, raw.hdrLen); err != nil {
		return "", "", nil, nil, fmt.Errorf("headers: %w", err)
	}
	if _, err = liftTuples(h, raw.prmPtr, raw.prmLen); err != nil {
		return "", "", nil, nil, fmt.Errorf("params: %w", err)
	}
	switch raw.bodyTag {
	case 0:
		body = []byte{}
	case 1:
		if body, err = h.take(raw.bodyPtr, raw.bodyLen); err != nil {
			return "", "", nil, nil, fmt.Errorf("body: %w", err)
		}
	default:
		return "", "", nil, nil, fmt.Errorf("%w: body option tag %d", errBadRequestABI, raw.bodyTag)
	}
	return method, string(u), headers, body, nil
}

// liftTuples reads a list<tuple<string,string>> of n elements at ptr.
func liftTuples(h *heap, ptr, n uint32) ([][2]string, error) {
	if n > (1<<32-1)/16 {
		return nil, fmt.Errorf("%w: %d tuples", errBadRequestABI, n)
	}
	arr, err := h.take(ptr, n*16)
	if err != nil {
		return nil, err
	}
	out := make([][2]string, n)
	for i := range out {
		e := arr[16*i:]
		for j := range 2 {
			p := binary.LittleEndian.Uint32(e[8*j:])
			l := binary.LittleEndian.Uint32(e[8*j+4:])
			s, err := h.take(p, l)
			if err != nil {
				return nil, fmt.Errorf("tuple %d: %w", i, err)
			}
			if !utf8.Valid(s) {
				return nil, fmt.Errorf("%w: tuple %d is not UTF-8", errBadRequestABI, i)
			}
			out[i][j] = string(s)
		}
	}
	return out, nil
}

// newRequest builds the *http.Request a handler sees, as Spin's Go SDK
// (v1.3+) does: the URL comes from the spin-full-url header, falling back to
// uri (path and query) when the header is absent; RequestURI is uri;
// RemoteAddr is spin-client-addr; every header tuple is added in order.
func newRequest(method, uri string, headers [][2]string, body []byte) (*http.Request, error) {
	hdr := make(http.Header, len(headers))
	for _, kv := range headers {
		hdr.Add(kv[0], kv[1])
	}
	target := hdr.Get(HeaderFullURL)
	if target == "" {
		host := hdr.Get("Host")
		if host == "" {
			host = "localhost"
		}
		target = "http://" + host + uri
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("spinguest: request URL: %w", err)
	}
	r, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("spinguest: request: %w", err)
	}
	r.Header = hdr
	r.RequestURI = uri
	r.RemoteAddr = hdr.Get(HeaderClientAddr)
	if host := hdr.Get("Host"); host != "" {
		r.Host = host
	}
	return r, nil
}

// responseWriter buffers a handler's response. Status defaults to 200; the
// first WriteHeader wins, as in net/http.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newResponseWriter() *responseWriter {
	return &responseWriter{header: make(http.Header)}
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// lower writes the response into ret (the 28-byte return area of v1.5.1:sdk/go/http/spin-http.c),
// allocating the header array, each header string and the body on the
// heap, pinned until the host frees them. As in Spin's Go SDK, each header
// name carries its first value only (Spin keeps one value per name anyway),
// headers are none when the handler set none, and the body is none when the
// handler wrote nothing. Header names are sent in sorted order.
func (w *responseWriter) lower(h *heap, ret []byte) {
	clear(ret[:retSize])
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	binary.LittleEndian.PutUint16(ret[0:], uint16(min(max(status, 0), 0xffff)))

	names := make([]string, 0, len(w.header))
	for name, vals := range w.header {
		if len(vals) > 0 {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		arrPtr, arr := h.alloc(4, uint32(16*len(names)))
		for i, name := range names {
			for j, s := range [2]string{name, w.header[name][0]} {
				p, b := h.alloc(1, uint32(len(s)))
				copy(b, s)
				binary.LittleEndian.PutUint32(arr[16*i+8*j:], p)
				binary.LittleEndian.PutUint32(arr[16*i+8*j+4:], uint32(len(s)))
			}
		}
		ret[4] = 1
		binary.LittleEndian.PutUint32(ret[8:], arrPtr)
		binary.LittleEndian.PutUint32(ret[12:], uint32(len(names)))
	}
	if n := w.body.Len(); n > 0 {
		p, b := h.alloc(1, uint32(n))
		copy(b, w.body.Bytes())
		ret[16] = 1
		binary.LittleEndian.PutUint32(ret[20:], p)
		binary.LittleEndian.PutUint32(ret[24:], uint32(n))
	}
}

// serve runs one handle-http-request call: it lifts the request, calls
// handler and lowers the response into ret. A malformed request or a
// handler that cannot build one answers 500 with the reason as body; a
// handler that panics answers 500 and the panic is printed to stderr.
func serve(h *heap, handler func(http.ResponseWriter, *http.Request), raw rawRequest, ret []byte) {
	w := newResponseWriter()
	func() {
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(os.Stderr, "spinguest: handler panic: %v\n", p)
				w = newResponseWriter()
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		method, uri, headers, body, err := raw.lift(h)
		if err == nil && handler == nil {
			err = errors.New("spinguest: no handler registered: call spinguest.Handle from init")
		}
		var r *http.Request
		if err == nil {
			r, err = newRequest(method, uri, headers, body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		handler(w, r)
	}()
	w.header.Del("Content-Length") // the host computes it from the body
	w.lower(h, ret)
}
