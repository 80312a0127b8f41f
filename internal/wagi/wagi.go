package wagi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Defaults of the executor table in spin.toml.
const (
	DefaultEntrypoint = "_start"
	DefaultArgv       = "${SCRIPT_NAME} ${ARGS}"
)

// DefaultServerName is SERVER_NAME when the request has no Host header (the
// placeholder Spin passes to its WAGI code).
const DefaultServerName = "default_host"

// Errors returned by ParseOutput.
var (
	// ErrEmptyOutput: the guest wrote nothing to stdout.
	ErrEmptyOutput = errors.New("wagi: guest did not write to stdout")
	// ErrHeaderEncoding: the header section is not UTF-8.
	ErrHeaderEncoding = errors.New("wagi: header section is not valid UTF-8")
	// ErrHeaderValue: a header value cannot be sent over HTTP.
	ErrHeaderValue = errors.New("wagi: invalid header value")
)

// Argv expands tmpl: ${SCRIPT_NAME} becomes the request path (raw, no
// query) and ${ARGS} the raw query with every '&' replaced by a space; the
// result is split on single spaces.
func Argv(tmpl, path, rawQuery string) []string {
	s := strings.ReplaceAll(tmpl, "${SCRIPT_NAME}", path)
	s = strings.ReplaceAll(s, "${ARGS}", strings.ReplaceAll(rawQuery, "&", " "))
	return strings.Split(s, " ")
}

// SpinValues are the values Spin adds to every request (v1.5.1:crates/trigger-http/src/lib.rs), set as
// the X_* variables (and PATH_INFO) of the CGI environment.
type SpinValues struct {
	PathInfo, FullURL, MatchedRoute, BasePath, RawComponentRoute, ComponentRoute, ClientAddr string
}

// Request is what the CGI environment is built from.
type Request struct {
	// R is the incoming request; its Host field stands for the Host header.
	R *http.Request
	// Path is the raw request path (no query); RawQuery the raw query.
	Path, RawQuery string
	// ScriptName is the base-joined route without "/...".
	ScriptName string
	// BodyLen is the length of the buffered body.
	BodyLen int
	// Spin are the spin-* values.
	Spin SpinValues
}

// Env returns the CGI environment of v1.5.1:crates/http/src/wagi/mod.rs.
func Env(req Request) map[string]string {
	r := req.R
	env := make(map[string]string, 32+len(r.Header))
	env["AUTH_TYPE"] = ""
	env["CONTENT_LENGTH"] = strconv.Itoa(req.BodyLen)
	env["CONTENT_TYPE"] = ""
	for name, vs := range r.Header {
		if strings.EqualFold(name, "content_type") && len(vs) > 0 {
			env["CONTENT_TYPE"] = vs[len(vs)-1]
		}
	}
	env["GATEWAY_INTERFACE"] = "CGI/1.1"
	env["QUERY_STRING"] = req.RawQuery
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = h
	}
	env["REMOTE_ADDR"] = ip
	env["REMOTE_HOST"] = ip
	env["REMOTE_USER"] = ""
	env["REQUEST_METHOD"] = r.Method
	env["SCRIPT_NAME"] = req.ScriptName
	rawInfo := req.Spin.PathInfo
	env["X_RAW_PATH_INFO"] = rawInfo
	env["PATH_TRANSLATED"] = percentDecodeLossy(rawInfo)
	name, port := DefaultServerName, ""
	if r.Host != "" {
		name = r.Host
		if h, p, err := net.SplitHostPort(r.Host); err == nil {
			name, port = h, p
		}
	}
	if port == "" && r.URL != nil {
		port = r.URL.Port()
	}
	if port == "" {
		port = "80"
	}
	env["SERVER_NAME"] = name
	env["SERVER_PORT"] = port
	env["SERVER_PROTOCOL"] = r.Proto
	env["SERVER_SOFTWARE"] = "WAGI/1"
	if r.Host != "" {
		env["HTTP_HOST"] = r.Host
	}
	for name, vs := range r.Header {
		if len(vs) == 0 || strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Connection") {
			continue
		}
		v := vs[len(vs)-1]
		if !utf8.ValidString(v) {
			v = "CORRUPT VALUE"
		}
		env["HTTP_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))] = v
	}
	// Spin's defaults overwrite same-named keys.
	env["PATH_INFO"] = req.Spin.PathInfo
	env["X_FULL_URL"] = req.Spin.FullURL
	env["X_MATCHED_ROUTE"] = req.Spin.MatchedRoute
	env["X_BASE_PATH"] = req.Spin.BasePath
	env["X_RAW_COMPONENT_ROUTE"] = req.Spin.RawComponentRoute
	env["X_COMPONENT_ROUTE"] = req.Spin.ComponentRoute
	env["X_CLIENT_ADDR"] = req.Spin.ClientAddr
	return env
}

// percentDecodeLossy decodes %XX escapes, keeps malformed ones as they
// are, and replaces invalid UTF-8 with U+FFFD.
func percentDecodeLossy(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Response is a parsed WAGI response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Skipped lists header lines that were ignored (no ':' or an invalid
	// name), for logging.
	Skipped []string
}

// MissingHeadersBody is the body of the 500 response given when the
// output has none of Content-Type, Status and Location.
const MissingHeadersBody = "Exactly one of 'location' or 'content-type' must be specified"

// ParseOutput turns a guest's stdout into a response as Spin's
// compose_response does (v1.5.1:crates/http/src/wagi/mod.rs). Output without a blank line, or
// without any of Content-Type, Status and Location, gives status 500 with
// MissingHeadersBody; a Status that is not a number in 100..999 gives 502.
// An error (empty output, a non-UTF-8 header section, a header value that
// cannot be sent) means the request fails with 500 and an empty body.
func ParseOutput(out []byte) (*Response, error) {
	if len(out) == 0 {
		return nil, ErrEmptyOutput
	}
	var head []byte
	body := []byte(nil)
	prevLF, found := false, false
	for i, c := range out {
		if c == '\r' {
			continue
		}
		if c == '\n' && prevLF {
			body = out[i+1:]
			found = true
			break
		}
		prevLF = c == '\n'
		head = append(head, c)
	}
	if !found {
		return &Response{Status: http.StatusInternalServerError, Header: http.Header{}, Body: []byte(MissingHeadersBody)}, nil
	}
	if !utf8.Valid(head) {
		return nil, ErrHeaderEncoding
	}
	// Duplicates: last wins (Spin uses a hash map).
	type kv struct{ name, value string }
	var fields []kv
	idx := map[string]int{}
	resp := &Response{Status: http.StatusOK, Header: http.Header{}, Body: body}
	for line := range strings.SplitSeq(strings.TrimSpace(string(head)), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			if strings.TrimSpace(line) != "" {
				resp.Skipped = append(resp.Skipped, line)
			}
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		key := strings.ToLower(name)
		if i, dup := idx[key]; dup {
			fields[i] = kv{name, value}
			continue
		}
		idx[key] = len(fields)
		fields = append(fields, kv{name, value})
	}
	sufficient, explicit := false, false
	location := ""
	for _, f := range fields {
		switch strings.ToLower(f.name) {
		case "content-type":
			if !ValidHeaderValue(f.value) {
				return nil, fmt.Errorf("%w: content-type %q", ErrHeaderValue, f.value)
			}
			resp.Header.Set("Content-Type", f.value)
			sufficient = true
		case "status":
			sufficient, explicit = true, true
			code, _, _ := strings.Cut(f.value, " ")
			n, err := strconv.Atoi(code)
			if err != nil || len(code) != 3 || n < 100 || n > 999 {
				resp.Status = http.StatusBadGateway
			} else {
				resp.Status = n
			}
		case "location":
			if !ValidHeaderValue(f.value) {
				return nil, fmt.Errorf("%w: location %q", ErrHeaderValue, f.value)
			}
			resp.Header.Set("Location", f.value)
			sufficient = true
			location = f.value
		default:
			if !ValidHeaderName(f.name) {
				resp.Skipped = append(resp.Skipped, f.name+": "+f.value)
				continue
			}
			if !ValidHeaderValue(f.value) {
				return nil, fmt.Errorf("%w: %s %q", ErrHeaderValue, f.name, f.value)
			}
			resp.Header.Set(f.name, f.value)
		}
	}
	if location != "" && !explicit {
		resp.Status = http.StatusFound
	}
	if !sufficient {
		return &Response{Status: http.StatusInternalServerError, Header: http.Header{}, Body: []byte(MissingHeadersBody), Skipped: resp.Skipped}, nil
	}
	return resp, nil
}

// ValidHeaderName reports whether s is an HTTP token (RFC 9110 §5.6.2).
func ValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// ValidHeaderValue reports whether s can be sent as a header value: no
// control characters other than horizontal tab (the rule of the http
// crate Spin uses; bytes >= 0x80 are allowed).
func ValidHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
