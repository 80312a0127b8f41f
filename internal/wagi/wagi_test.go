package wagi

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestArgv(t *testing.T) {
	tests := []struct {
		name, tmpl, path, query string
		want                    []string
	}{
		{name: "spec example", tmpl: DefaultArgv, path: "/test", query: "abc=def", want: []string{"/test", "abc=def"}},
		{name: "no query", tmpl: DefaultArgv, path: "/test", query: "", want: []string{"/test", ""}},
		{name: "ampersands split", tmpl: DefaultArgv, path: "/a", query: "x=1&y=2", want: []string{"/a", "x=1", "y=2"}},
		{name: "not url-decoded", tmpl: DefaultArgv, path: "/a%20b", query: "x=%41", want: []string{"/a%20b", "x=%41"}},
		{name: "custom template", tmpl: "prog --path ${SCRIPT_NAME} -- ${ARGS}", path: "/p", query: "q", want: []string{"prog", "--path", "/p", "--", "q"}},
		{name: "double space gives empty arg", tmpl: "a  b", want: []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Argv(tt.tmpl, tt.path, tt.query); !slices.Equal(got, tt.want) {
				t.Errorf("Argv(%q, %q, %q) = %q, want %q", tt.tmpl, tt.path, tt.query, got, tt.want)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	r := httptest.NewRequest("POST", "http://fermyon.dev:8080/base/foo/b%20r?key1=value1&key2=value2", nil)
	r.RemoteAddr = "127.0.0.1:8777"
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Set("Authorization", "secret")
	r.Header.Set("Connection", "keep-alive")
	r.Header["Bad"] = []string{"\xff"}
	spin := SpinValues{
		PathInfo: "/b%20r", FullURL: "http://fermyon.dev:8080/base/foo/b%20r?key1=value1&key2=value2",
		MatchedRoute: "/base/foo/...", BasePath: "/base", RawComponentRoute: "/foo/...", ComponentRoute: "/foo",
		ClientAddr: "127.0.0.1:8777",
	}
	env := Env(Request{R: r, Path: "/base/foo/b%20r", RawQuery: "key1=value1&key2=value2", ScriptName: "/base/foo", BodyLen: 5, Spin: spin})
	want := map[string]string{
		"AUTH_TYPE":             "",
		"CONTENT_LENGTH":        "5",
		"CONTENT_TYPE":          "",
		"GATEWAY_INTERFACE":     "CGI/1.1",
		"QUERY_STRING":          "key1=value1&key2=value2",
		"REMOTE_ADDR":           "127.0.0.1",
		"REMOTE_HOST":           "127.0.0.1",
		"REMOTE_USER":           "",
		"REQUEST_METHOD":        "POST",
		"SCRIPT_NAME":           "/base/foo",
		"PATH_INFO":             "/b%20r",
		"X_RAW_PATH_INFO":       "/b%20r",
		"PATH_TRANSLATED":       "/b r",
		"SERVER_NAME":           "fermyon.dev",
		"SERVER_PORT":           "8080",
		"SERVER_PROTOCOL":       "HTTP/1.1",
		"SERVER_SOFTWARE":       "WAGI/1",
		"HTTP_HOST":             "fermyon.dev:8080",
		"HTTP_CONTENT_TYPE":     "text/plain",
		"HTTP_X_MULTI":          "two",
		"HTTP_BAD":              "CORRUPT VALUE",
		"X_FULL_URL":            spin.FullURL,
		"X_MATCHED_ROUTE":       "/base/foo/...",
		"X_BASE_PATH":           "/base",
		"X_RAW_COMPONENT_ROUTE": "/foo/...",
		"X_COMPONENT_ROUTE":     "/foo",
		"X_CLIENT_ADDR":         "127.0.0.1:8777",
	}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("env[%s] = %q (present %v), want %q", k, got, ok, v)
		}
	}
	for k := range env {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected variable %s=%q", k, env[k])
		}
	}
}

func TestEnvServerNameAndPort(t *testing.T) {
	tests := []struct {
		name, host, remote   string
		serverName, port, ip string
	}{
		{name: "host without port", host: "example.com", remote: "10.0.0.1:1", serverName: "example.com", port: "80", ip: "10.0.0.1"},
		{name: "no host header", host: "", remote: "10.0.0.1:1", serverName: DefaultServerName, port: "80", ip: "10.0.0.1"},
		{name: "ipv6 host", host: "[::1]:3000", remote: "[::1]:5000", serverName: "::1", port: "3000", ip: "::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Host = tt.host
			r.RemoteAddr = tt.remote
			r.Header.Set("content_type", "odd/underscore")
			env := Env(Request{R: r, Path: "/x"})
			if env["SERVER_NAME"] != tt.serverName || env["SERVER_PORT"] != tt.port || env["REMOTE_ADDR"] != tt.ip {
				t.Errorf("SERVER_NAME, SERVER_PORT, REMOTE_ADDR = %q, %q, %q; want %q, %q, %q",
					env["SERVER_NAME"], env["SERVER_PORT"], env["REMOTE_ADDR"], tt.serverName, tt.port, tt.ip)
			}
			if env["CONTENT_TYPE"] != "odd/underscore" {
				t.Errorf("CONTENT_TYPE = %q, want the content_type header", env["CONTENT_TYPE"])
			}
			if _, ok := env["HTTP_HOST"]; ok != (tt.host != "") {
				t.Errorf("HTTP_HOST present = %v with host %q", ok, tt.host)
			}
		})
	}
}

func TestParseOutput(t *testing.T) {
	tests := []struct {
		name   string
		out    string
		status int
		header http.Header
		body   string
	}{
		{name: "content type", out: "Content-Type: text/plain\n\nhello", status: 200, header: http.Header{"Content-Type": {"text/plain"}}, body: "hello"},
		{name: "crlf", out: "Content-Type: text/html\r\n\r\n<p>\r\n</p>", status: 200, header: http.Header{"Content-Type": {"text/html"}}, body: "<p>\r\n</p>"},
		{name: "status with reason", out: "Status: 201 Created\nContent-Type: a/b\n\n", status: 201, header: http.Header{"Content-Type": {"a/b"}}, body: ""},
		{name: "status alone is sufficient", out: "status: 404\n\nnope", status: 404, header: http.Header{}, body: "nope"},
		{name: "location gives 302", out: "Location: /elsewhere\n\n", status: 302, header: http.Header{"Location": {"/elsewhere"}}, body: ""},
		{name: "explicit status beats location", out: "Location: /x\nStatus: 301\n\n", status: 301, header: http.Header{"Location": {"/x"}}, body: ""},
		{name: "explicit status before location", out: "Status: 307\nLocation: /x\n\n", status: 307, header: http.Header{"Location": {"/x"}}, body: ""},
		{name: "bad status gives 502", out: "Status: abc\nContent-Type: a/b\n\n", status: 502, header: http.Header{"Content-Type": {"a/b"}}, body: ""},
		{name: "status out of range gives 502", out: "Status: 1000\n\n", status: 502, header: http.Header{}, body: ""},
		{name: "status 99 gives 502", out: "Status: 099\n\n", status: 502, header: http.Header{}, body: ""},
		{name: "extra headers kept, last wins", out: "Content-Type: a/b\nX-A: 1\nx-a: 2\n\nb", status: 200, header: http.Header{"Content-Type": {"a/b"}, "X-A": {"2"}}, body: "b"},
		{name: "line without colon ignored", out: "Content-Type: a/b\ngarbage\n\nb", status: 200, header: http.Header{"Content-Type": {"a/b"}}, body: "b"},
		{name: "invalid header name skipped", out: "Content-Type: a/b\nBad Name: x\n\nb", status: 200, header: http.Header{"Content-Type": {"a/b"}}, body: "b"},
		{name: "values trimmed, colon in value", out: "  Content-Type :  a/b  \nX-Url: http://x:1/\n\n", status: 200, header: http.Header{"Content-Type": {"a/b"}, "X-Url": {"http://x:1/"}}, body: ""},
		{name: "binary body byte-exact", out: "Content-Type: a/b\n\n\x00\xff\r\n\n", status: 200, header: http.Header{"Content-Type": {"a/b"}}, body: "\x00\xff\r\n\n"},
		{name: "no blank line", out: "Content-Type: text/plain\nhello", status: 500, header: http.Header{}, body: MissingHeadersBody},
		{name: "no sufficient header", out: "X-A: 1\n\nbody", status: 500, header: http.Header{}, body: MissingHeadersBody},
		{name: "leading blank line", out: "\n\nbody", status: 500, header: http.Header{}, body: MissingHeadersBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ParseOutput([]byte(tt.out))
			if err != nil {
				t.Fatalf("ParseOutput: %v", err)
			}
			if resp.Status != tt.status || string(resp.Body) != tt.body {
				t.Errorf("status, body = %d, %q; want %d, %q", resp.Status, resp.Body, tt.status, tt.body)
			}
			if len(resp.Header) != len(tt.header) {
				t.Errorf("header = %v, want %v", resp.Header, tt.header)
			}
			for k, v := range tt.header {
				if !slices.Equal(resp.Header[k], v) {
					t.Errorf("header %s = %q, want %q", k, resp.Header[k], v)
				}
			}
		})
	}
}

func TestParseOutputErrors(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want error
	}{
		{name: "empty", out: "", want: ErrEmptyOutput},
		{name: "non-utf8 headers", out: "Content-Type: \xff\n\n", want: ErrHeaderEncoding},
		{name: "control char in value", out: "Content-Type: a/b\nX-A: a\x01b\n\n", want: ErrHeaderValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOutput([]byte(tt.out))
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseOutput(%q) error = %v, want %v", tt.out, err, tt.want)
			}
		})
	}
}

func FuzzParseOutput(f *testing.F) {
	f.Add([]byte("Content-Type: text/plain\r\n\r\nhi"))
	f.Add([]byte("Status: 302\nLocation: /\n\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		resp, err := ParseOutput(out)
		if err != nil {
			return
		}
		if resp.Status < 100 || resp.Status > 999 {
			t.Fatalf("status %d out of range", resp.Status)
		}
		// The body is a suffix of the output, byte-exact, unless the
		// output was rejected.
		rejected := resp.Status == 500 && string(resp.Body) == MissingHeadersBody
		if !rejected && !bytes.HasSuffix(out, resp.Body) {
			t.Fatalf("body %q is not a suffix of %q", resp.Body, out)
		}
		for name, vs := range resp.Header {
			if !ValidHeaderName(name) {
				t.Fatalf("invalid header name %q", name)
			}
			for _, v := range vs {
				if !ValidHeaderValue(v) {
					t.Fatalf("invalid header value %q", v)
				}
			}
		}
	})
}
