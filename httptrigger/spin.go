package httptrigger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/spindlekv/spindle/host"
	"github.com/spindlekv/spindle/internal/wagi"
)

// guest is the part of *host.Instance the Spin executor uses.
type guest interface {
	AllocMany(blocks []host.Block, data []byte) error
	Write(ptr uint32, b []byte) error
	Read(ptr, n uint32) ([]byte, error)
	Free(ptr, size, align uint32) error
	Call(name string, args ...uint64) ([]uint64, error)
}

// Errors describing a bad guest response; each request failure wraps one
// (or a host error) and is logged with the component id.
var (
	errBadTag       = errors.New("httptrigger: invalid option tag in response")
	errBadUTF8      = errors.New("httptrigger: response header is not valid UTF-8")
	errBadHeader    = errors.New("httptrigger: invalid response header")
	errBadStatus    = errors.New("httptrigger: response status outside 100..=600")
	errRequestUTF8  = errors.New("httptrigger: request header is not valid UTF-8")
	errResultLength = errors.New("httptrigger: response list length overflows")
	errNoResult     = errors.New("httptrigger: handle-http-request returned no result")
)

// Names of the headers Spin adds to every request, in the order it
// appends them (spec §2.4).
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

// methodIndex maps an HTTP method to the ABI's method enum (spec §3.4).
func methodIndex(m string) (uint64, bool) {
	switch m {
	case http.MethodGet:
		return 0, true
	case http.MethodPost:
		return 1, true
	case http.MethodPut:
		return 2, true
	case http.MethodDelete:
		return 3, true
	case http.MethodPatch:
		return 4, true
	case http.MethodHead:
		return 5, true
	case http.MethodOptions:
		return 6, true
	}
	return 0, false
}

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

// spinValues returns the spin-* header values for a request, in the order
// of spec §2.4.
func (t *target) spinValues(r *http.Request, path, uri string) [spinHeaderCount]string {
	return [spinHeaderCount]string{
		t.pattern.PathInfo(path),
		fullURL(r, uri),
		t.matched,
		t.base,
		t.raw,
		t.compRoute,
		r.RemoteAddr,
	}
}

var spinHeaderNames = [spinHeaderCount]string{
	hdrPathInfo, hdrFullURL, hdrMatchedRoute, hdrBasePath, hdrRawComponentRoute, hdrComponentRoute, hdrClientAddr,
}

// requestHeaders lists the client's headers as the guest gets them: host
// first (Go keeps it out of r.Header), then the others sorted by
// lower-case name, one tuple per value in the order received. Values
// must be UTF-8.
func requestHeaders(r *http.Request, keys []string) ([]string, int, error) {
	keys = keys[:0]
	n := 0
	if !utf8.ValidString(r.Host) {
		return keys, 0, fmt.Errorf("%w: host", errRequestUTF8)
	}
	for k, vs := range r.Header {
		keys = append(keys, k)
		if !utf8.ValidString(k) {
			return keys, 0, fmt.Errorf("%w: header name %q", errRequestUTF8, k)
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return keys, 0, fmt.Errorf("%w: %s", errRequestUTF8, k)
			}
		}
		n += len(vs)
	}
	slices.SortFunc(keys, compareFold)
	if r.Host != "" {
		n++
	}
	return keys, n, nil
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

// lowerer lowers requests into a guest, reusing its buffers.
type lowerer struct {
	g      guest
	keys   []string
	blocks []host.Block
	data   []byte // contents of the Copy blocks, in order
	arr    []byte
}

// spinRequest is a request ready to be lowered.
type spinRequest struct {
	method  uint64
	uri     string
	r       *http.Request
	keys    []string // sorted r.Header keys
	nClient int      // client header tuples, host included
	spin    [spinHeaderCount]string
	body    []byte
}

// str queues a string block: realloc(0, 0, 1, len(s)) and a copy of s.
func (l *lowerer) str(s string) error {
	if uint64(len(s)) > math.MaxUint32 {
		return fmt.Errorf("httptrigger: %d bytes do not fit in guest memory", len(s))
	}
	l.blocks = append(l.blocks, host.Block{Align: 1, Size: uint32(len(s)), Copy: true})
	l.data = append(l.data, s...)
	return nil
}

// header queues the name (lower-cased) and the value of one header.
func (l *lowerer) header(name, value string) error {
	start := len(l.data)
	if err := l.str(name); err != nil {
		return err
	}
	for j, c := range l.data[start:] {
		l.data[start+j] = lowerByte(c)
	}
	return l.str(value)
}

// lowerRequest copies req into the guest exactly as spec §3.3 and
// Appendix A describe, with the guest's realloc called in the same order
// (uri, header array, each name and value, params, body), and returns the
// ten arguments of handle-http-request. All the allocations are made in
// one AllocMany call.
func (l *lowerer) lowerRequest(req *spinRequest) ([10]uint64, error) {
	var args [10]uint64
	n := req.nClient + spinHeaderCount
	size := uint64(n) * 16
	if size > math.MaxUint32 || uint64(len(req.body)) > math.MaxUint32 {
		return args, fmt.Errorf("httptrigger: %d request headers and %d body bytes do not fit in guest memory", n, len(req.body))
	}
	l.blocks, l.data = l.blocks[:0], l.data[:0]
	if err := l.str(req.uri); err != nil {
		return args, err
	}
	l.blocks = append(l.blocks, host.Block{Align: 4, Size: uint32(size)})
	if req.r.Host != "" {
		if err := l.header("host", req.r.Host); err != nil {
			return args, err
		}
	}
	for _, k := range req.keys {
		for _, v := range req.r.Header[k] {
			if err := l.header(k, v); err != nil {
				return args, err
			}
		}
	}
	for j, name := range spinHeaderNames {
		if err := l.header(name, req.spin[j]); err != nil {
			return args, err
		}
	}
	l.blocks = append(l.blocks,
		host.Block{Align: 4, Size: 0},
		host.Block{Align: 1, Size: uint32(len(req.body))})
	if err := l.g.AllocMany(l.blocks, l.data); err != nil {
		return args, err
	}
	// blocks: uri, array, name/value pairs from index 2, params, body.
	if cap(l.arr) < int(size) {
		l.arr = make([]byte, size)
	}
	l.arr = l.arr[:size]
	for i := range n {
		name, value := l.blocks[2+2*i], l.blocks[3+2*i]
		e := l.arr[16*i:]
		binary.LittleEndian.PutUint32(e[0:], name.Ptr)
		binary.LittleEndian.PutUint32(e[4:], name.Size)
		binary.LittleEndian.PutUint32(e[8:], value.Ptr)
		binary.LittleEndian.PutUint32(e[12:], value.Size)
	}
	hdrs, params, body := l.blocks[1].Ptr, l.blocks[2+2*n].Ptr, l.blocks[3+2*n].Ptr
	if size > 0 {
		if err := l.g.Write(hdrs, l.arr); err != nil {
			return args, err
		}
	}
	if len(req.body) > 0 {
		if err := l.g.Write(body, req.body); err != nil {
			return args, err
		}
	}
	args = [10]uint64{
		req.method,
		uint64(l.blocks[0].Ptr), uint64(len(req.uri)),
		uint64(hdrs), uint64(n),
		uint64(params), 0,
		1, uint64(body), uint64(len(req.body)),
	}
	return args, nil
}

// spinResponse is a lifted response.
type spinResponse struct {
	status  int
	headers []string // name, value pairs
	body    []byte
}

// retAreaSize is the size of handle-http-request's return area.
const retAreaSize = 28

// lift reads the response at ret and frees every guest allocation it
// names, as spec §3.3 step 6 says: each header string (ptr, len, 1), then
// the header array (ptr, n*16, 4), then the body (ptr, len, 1). It checks
// tags, UTF-8, header syntax and the status range. ctx is checked between
// headers so a guest returning millions of them cannot outlive the
// request (ctx ended or deadline passed).
func lift(ctx context.Context, deadline time.Time, g guest, ret uint32) (*spinResponse, error) {
	area, err := g.Read(ret, retAreaSize)
	if err != nil {
		return nil, err
	}
	resp := &spinResponse{status: int(binary.LittleEndian.Uint16(area[0:]))}
	hTag, hPtr, hLen := area[4], binary.LittleEndian.Uint32(area[8:]), binary.LittleEndian.Uint32(area[12:])
	bTag, bPtr, bLen := area[16], binary.LittleEndian.Uint32(area[20:]), binary.LittleEndian.Uint32(area[24:])
	switch hTag {
	case 0:
	case 1:
		size := uint64(hLen) * 16
		if size > math.MaxUint32 {
			return nil, fmt.Errorf("%w: %d headers", errResultLength, hLen)
		}
		arr, err := g.Read(hPtr, uint32(size))
		if err != nil {
			return nil, err
		}
		resp.headers = make([]string, 0, 2*int(hLen))
		for i := range int(hLen) {
			if i%64 == 63 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if !time.Now().Before(deadline) {
					return nil, fmt.Errorf("lifting %d response headers: %w", hLen, context.DeadlineExceeded)
				}
			}
			e := arr[16*i:]
			np, nl := binary.LittleEndian.Uint32(e[0:]), binary.LittleEndian.Uint32(e[4:])
			vp, vl := binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
			name, err := g.Read(np, nl)
			if err != nil {
				return nil, err
			}
			value, err := g.Read(vp, vl)
			if err != nil {
				return nil, err
			}
			if err := g.Free(np, nl, 1); err != nil {
				return nil, err
			}
			if err := g.Free(vp, vl, 1); err != nil {
				return nil, err
			}
			if !utf8.Valid(name) || !utf8.Valid(value) {
				return nil, fmt.Errorf("%w: header %d", errBadUTF8, i)
			}
			resp.headers = append(resp.headers, unsafe.String(unsafe.SliceData(name), len(name)), unsafe.String(unsafe.SliceData(value), len(value)))
		}
		if err := g.Free(hPtr, uint32(size), 4); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: headers tag %d", errBadTag, hTag)
	}
	switch bTag {
	case 0:
	case 1:
		body, err := g.Read(bPtr, bLen)
		if err != nil {
			return nil, err
		}
		if err := g.Free(bPtr, bLen, 1); err != nil {
			return nil, err
		}
		resp.body = body
	default:
		return nil, fmt.Errorf("%w: body tag %d", errBadTag, bTag)
	}
	for i := 0; i < len(resp.headers); i += 2 {
		name, value := resp.headers[i], resp.headers[i+1]
		if !wagi.ValidHeaderName(name) || !wagi.ValidHeaderValue(value) {
			return nil, fmt.Errorf("%w: %q: %q", errBadHeader, name, value)
		}
	}
	if resp.status < 100 || resp.status > 600 {
		return nil, fmt.Errorf("%w: %d", errBadStatus, resp.status)
	}
	return resp, nil
}

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
		body = make([]byte, 0, r.ContentLength)
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
			return nil, http.StatusBadRequest
		}
	}
	if limit >= 0 && int64(len(body)) > limit {
		return nil, http.StatusRequestEntityTooLarge
	}
	return body, 0
}

// serveSpin runs t's component with the Spin executor.
func (h *Handler) serveSpin(w http.ResponseWriter, r *http.Request, t *target, path string) {
	method, ok := methodIndex(r.Method)
	if !ok {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, status := h.readBody(r)
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	uri := uriOf(r, path)
	req := &spinRequest{method: method, uri: uri, r: r, body: body, spin: t.spinValues(r, path, uri)}
	// No context.WithTimeout here: the instance gets the timeout (its
	// guest code is interrupted at the deadline by the epoch callback), so
	// a request that uses no store starts no timer.
	ctx := r.Context()
	resp, err := h.runSpin(ctx, t, req)
	if err != nil {
		h.logFailure(ctx, t, r, path, err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	for i := 0; i < len(resp.headers); i += 2 {
		hdr.Set(resp.headers[i], resp.headers[i+1])
	}
	w.WriteHeader(resp.status)
	if len(resp.body) > 0 {
		w.Write(resp.body) //nolint:errcheck // the client may have gone; nothing to do
	}
}

// runSpin instantiates t's component, lowers req, calls
// handle-http-request and lifts the response.
func (h *Handler) runSpin(ctx context.Context, t *target, req *spinRequest) (*spinResponse, error) {
	l := h.getLowerer()
	defer h.putLowerer(l)
	keys, n, err := requestHeaders(req.r, l.keys)
	l.keys = keys
	if err != nil {
		return nil, err
	}
	req.keys, req.nClient = keys, n
	inst, err := t.comp.Instantiate(ctx, &host.InstanceOptions{Timeout: h.opts.Timeout})
	if err != nil {
		return nil, err
	}
	defer inst.Close()
	l.g = inst
	defer func() { l.g = nil }()
	args, err := l.lowerRequest(req)
	if err != nil {
		return nil, err
	}
	res, err := inst.Call("handle-http-request", args[:]...)
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, errNoResult
	}
	return lift(ctx, inst.Deadline(), inst, uint32(res[0]))
}
