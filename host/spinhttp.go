package host

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/spindlekv/spindle/internal/wagi"
)

// The Spin 1.x HTTP ABI: handle-http-request in the old wit-bindgen
// canonical ABI (v1.5.1:wit/ephemeral/spin-http.wit,
// v1.5.1:wit/ephemeral/http-types.wit), lowered and lifted as
// v1.5.1:crates/trigger-http/src/spin.rs does.

// exportHandleHTTP is the Spin 1.x HTTP entry point.
const exportHandleHTTP = "handle-http-request"

// spinRetAreaSize is the size of handle-http-request's return area:
// status u16 at +0; headers option tag at +4, array at +8, count at +12;
// body option tag at +16, pointer at +20, length at +24.
const spinRetAreaSize = 28

// Errors describing a bad guest response; each is wrapped with ErrTrap.
var (
	errBadTag       = errors.New("invalid option tag in response")
	errBadUTF8      = errors.New("response header is not valid UTF-8")
	errBadHeader    = errors.New("invalid response header")
	errBadStatus    = errors.New("response status outside 100..=600")
	errResultLength = errors.New("response list length overflows")
	errNoResult     = errors.New("handle-http-request returned no result")
	errTooMany      = errors.New("too many response headers")
	errTooLarge     = errors.New("response headers too large")
)

// spinMethod maps an HTTP method to the ABI's method enum.
func spinMethod(m string) (uint64, bool) {
	switch m {
	case "GET":
		return 0, true
	case "POST":
		return 1, true
	case "PUT":
		return 2, true
	case "DELETE":
		return 3, true
	case "PATCH":
		return 4, true
	case "HEAD":
		return 5, true
	case "OPTIONS":
		return 6, true
	}
	return 0, false
}

// HandleHTTP implements [HTTPHandler] with the Spin 1.x ABI: it makes a
// fresh instance, lowers req into it, calls handle-http-request and lifts
// the response.
//
// Lowering calls the guest's canonical_abi_realloc(0, 0, align, size)
// once per string and list, in the order Spin's generated bindings do:
// the URI (align 1), the header array (align 4, 16 bytes per field), each
// field's name and value (align 1; names lower-cased), the empty params
// array (align 4, size 0) and the body (align 1; always present). All of
// them cross into the engine in one batch.
//
// Lifting frees every guest allocation the response names with the size
// and alignment it was made with: each header string (ptr, len, 1), the
// header array (ptr, n*16, 4), the body (ptr, len, 1). It checks the
// option tags, the bounds of every pointer, the header limits of req
// (before reading what they bound), UTF-8 and HTTP syntax of every field,
// and the status range.
func (c *Module) HandleHTTP(ctx context.Context, req *HTTPRequest, opts *InstanceOptions) (*HTTPResponse, error) {
	method, ok := spinMethod(req.Method)
	if !ok {
		return nil, fmt.Errorf("host: component %q: %w: %q", c.id, ErrMethodNotAllowed, req.Method)
	}
	l := c.getLowerer()
	defer c.putLowerer(l)
	if err := l.prepare(req); err != nil {
		return nil, fmt.Errorf("host: component %q: %w", c.id, err)
	}
	inst, err := c.Instantiate(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer inst.Close()
	args, err := l.lower(inst, method, req)
	if err != nil {
		return nil, err
	}
	res, err := inst.Call(exportHandleHTTP, args[:]...)
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("%w in component %q: %w", ErrTrap, c.id, errNoResult)
	}
	resp, err := liftHTTP(ctx, inst.Deadline(), inst, uint32(res[0]),
		responseLimit(req.MaxResponseHeaders, DefaultMaxResponseHeaders),
		responseLimit(req.MaxResponseHeaderBytes, DefaultMaxResponseHeaderBytes))
	if err != nil {
		if errors.Is(err, ErrTrap) || errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, fmt.Errorf("%w in component %q, %s: %w", ErrTrap, c.id, exportHandleHTTP, err)
	}
	return resp, nil
}

// lowerer holds the buffers of one request's lowering; Module pools them.
type lowerer struct {
	blocks []block
	data   []byte // contents of the Copy blocks, in order
	arr    []byte // the header array
}

// getLowerer takes scratch buffers from c's pool.
func (c *Module) getLowerer() *lowerer {
	if l, ok := c.lowerers.Get().(*lowerer); ok {
		return l
	}
	return &lowerer{}
}

// putLowerer returns scratch buffers to the pool, dropping big ones.
func (c *Module) putLowerer(l *lowerer) {
	if cap(l.arr) > 64<<10 || cap(l.data) > 64<<10 || cap(l.blocks) > 4096 {
		return
	}
	c.lowerers.Put(l)
}

// str queues a string block: realloc(0, 0, 1, len(s)) and a copy of s.
// A header name (name set) is copied lower-case ASCII; a header value
// names its header (in) in errors.
func (l *lowerer) str(s string, name bool, in string) error {
	if uint64(len(s)) > math.MaxUint32 || !utf8.ValidString(s) {
		what := "uri"
		switch {
		case name:
			what = "a header name"
		case in != "":
			what = "the value of header " + in
		}
		if !utf8.ValidString(s) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidRequest, what)
		}
		return fmt.Errorf("%w: %s of %d bytes does not fit in guest memory", ErrInvalidRequest, what, len(s))
	}
	l.blocks = append(l.blocks, block{Align: 1, Size: uint32(len(s)), Copy: true})
	start := len(l.data)
	l.data = append(l.data, s...)
	if name {
		for j, c := range l.data[start:] {
			if 'A' <= c && c <= 'Z' {
				l.data[start+j] = c + 'a' - 'A'
			}
		}
	}
	return nil
}

// prepare lays out the blocks of req, checking everything the ABI
// requires before any guest code runs.
func (l *lowerer) prepare(req *HTTPRequest) error {
	n := len(req.Headers)
	if uint64(n)*16 > math.MaxUint32 || uint64(len(req.Body)) > math.MaxUint32 {
		return fmt.Errorf("%w: %d headers and %d body bytes do not fit in guest memory", ErrInvalidRequest, n, len(req.Body))
	}
	l.blocks, l.data = l.blocks[:0], l.data[:0]
	if err := l.str(req.URI, false, ""); err != nil {
		return err
	}
	l.blocks = append(l.blocks, block{Align: 4, Size: uint32(n) * 16})
	for _, f := range req.Headers {
		if err := l.str(f.Name, true, ""); err != nil {
			return err
		}
		if err := l.str(f.Value, false, f.Name); err != nil {
			return err
		}
	}
	l.blocks = append(l.blocks,
		block{Align: 4, Size: 0},
		block{Align: 1, Size: uint32(len(req.Body))})
	return nil
}

// lower allocates the prepared blocks in i, fills the header array and
// the body, and returns the ten arguments of handle-http-request.
func (l *lowerer) lower(i *Instance, method uint64, req *HTTPRequest) ([10]uint64, error) {
	var args [10]uint64
	if err := i.allocMany(l.blocks, l.data); err != nil {
		return args, err
	}
	// blocks: uri, array, name/value pairs from index 2, params, body.
	n := len(req.Headers)
	size := 16 * n
	if cap(l.arr) < size {
		l.arr = make([]byte, size)
	}
	l.arr = l.arr[:size]
	for k := range n {
		name, value := l.blocks[2+2*k], l.blocks[3+2*k]
		e := l.arr[16*k:]
		binary.LittleEndian.PutUint32(e[0:], name.Ptr)
		binary.LittleEndian.PutUint32(e[4:], name.Size)
		binary.LittleEndian.PutUint32(e[8:], value.Ptr)
		binary.LittleEndian.PutUint32(e[12:], value.Size)
	}
	hdrs, params, body := l.blocks[1].Ptr, l.blocks[2+2*n].Ptr, l.blocks[3+2*n].Ptr
	if size > 0 {
		if err := i.Write(hdrs, l.arr); err != nil {
			return args, err
		}
	}
	if len(req.Body) > 0 {
		if err := i.Write(body, req.Body); err != nil {
			return args, err
		}
	}
	args = [10]uint64{
		method,
		uint64(l.blocks[0].Ptr), uint64(len(req.URI)),
		uint64(hdrs), uint64(n),
		uint64(params), 0,
		1, uint64(body), uint64(len(req.Body)),
	}
	return args, nil
}

// liftGuest is the part of *Instance that lifting uses (a fake in the
// fuzz test).
type liftGuest interface {
	Read(ptr, n uint32) ([]byte, error)
	Free(ptr, size, align uint32) error
}

// liftHTTP reads the response at ret and frees every guest allocation it
// names. maxHeaders and maxBytes (negative: none) are checked before the
// host allocates for what they bound. ctx and deadline (zero: none) are
// checked between headers, so a guest returning many of them cannot
// outlive its request.
func liftHTTP(ctx context.Context, deadline time.Time, g liftGuest, ret uint32, maxHeaders, maxBytes int) (*HTTPResponse, error) {
	area, err := g.Read(ret, spinRetAreaSize)
	if err != nil {
		return nil, err
	}
	resp := &HTTPResponse{Status: int(binary.LittleEndian.Uint16(area[0:]))}
	hTag, hPtr, hLen := area[4], binary.LittleEndian.Uint32(area[8:]), binary.LittleEndian.Uint32(area[12:])
	bTag, bPtr, bLen := area[16], binary.LittleEndian.Uint32(area[20:]), binary.LittleEndian.Uint32(area[24:])
	switch hTag {
	case 0:
	case 1:
		if maxHeaders >= 0 && uint64(hLen) > uint64(maxHeaders) {
			return nil, fmt.Errorf("%w: %d, limit %d", errTooMany, hLen, maxHeaders)
		}
		size := uint64(hLen) * 16
		if size > math.MaxUint32 {
			return nil, fmt.Errorf("%w: %d headers", errResultLength, hLen)
		}
		arr, err := g.Read(hPtr, uint32(size))
		if err != nil {
			return nil, err
		}
		resp.Headers = make([]HTTPField, 0, int(hLen))
		total := uint64(0)
		for k := range int(hLen) {
			if k%64 == 63 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return nil, fmt.Errorf("lifting %d response headers: %w", hLen, errDeadline)
				}
			}
			e := arr[16*k:]
			np, nl := binary.LittleEndian.Uint32(e[0:]), binary.LittleEndian.Uint32(e[4:])
			vp, vl := binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
			total += uint64(nl) + uint64(vl)
			if maxBytes >= 0 && total > uint64(maxBytes) {
				return nil, fmt.Errorf("%w: more than %d bytes in %d headers", errTooLarge, maxBytes, k+1)
			}
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
				return nil, fmt.Errorf("%w: header %d", errBadUTF8, k)
			}
			// name and value are copies nobody else holds.
			resp.Headers = append(resp.Headers, HTTPField{
				Name:  unsafe.String(unsafe.SliceData(name), len(name)),
				Value: unsafe.String(unsafe.SliceData(value), len(value)),
			})
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
		resp.Body = body
	default:
		return nil, fmt.Errorf("%w: body tag %d", errBadTag, bTag)
	}
	for _, f := range resp.Headers {
		if !wagi.ValidHeaderName(f.Name) || !wagi.ValidHeaderValue(f.Value) {
			return nil, fmt.Errorf("%w: %q: %q", errBadHeader, f.Name, f.Value)
		}
	}
	if resp.Status < 100 || resp.Status > 600 {
		return nil, fmt.Errorf("%w: %d", errBadStatus, resp.Status)
	}
	return resp, nil
}

var _ HTTPHandler = (*Module)(nil)
