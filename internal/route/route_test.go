package route

import (
	"errors"
	"strings"
	"testing"
)

func TestCompile(t *testing.T) {
	tests := []struct {
		name, base, route       string
		prefix                  string
		wildcard                bool
		matched, componentRoute string
	}{
		// examples from v1.5.1:crates/http/src/routes.rs
		{name: "root route at root base", base: "/", route: "/", prefix: "", matched: "", componentRoute: "/"},
		{name: "trailing slash stripped", base: "/", route: "/foo/", prefix: "/foo", matched: "/foo", componentRoute: "/foo/"},
		{name: "base and route trailing slashes", base: "/base/", route: "/foo/", prefix: "/base/foo", matched: "/base/foo", componentRoute: "/foo/"},
		{name: "route without leading slash", base: "/", route: "foo/bar", prefix: "/foo/bar", matched: "/foo/bar", componentRoute: "foo/bar"},
		{name: "catch-all wildcard", base: "/", route: "/...", prefix: "", wildcard: true, matched: "/...", componentRoute: ""},
		{name: "wildcard with base", base: "/base", route: "/foo/...", prefix: "/base/foo", wildcard: true, matched: "/base/foo/...", componentRoute: "/foo"},
		{name: "wildcard with trailing slash", base: "/", route: "/foo/.../", prefix: "/foo", wildcard: true, matched: "/foo/...", componentRoute: "/foo/.../"},
		{name: "base without leading slash is fixed up", base: "test", route: "/...", prefix: "/test", wildcard: true, matched: "/test/...", componentRoute: ""},
		{name: "empty base", base: "", route: "/a", prefix: "/a", matched: "/a", componentRoute: "/a"},
		{name: "dots not at the end are literal", base: "/", route: "/a/.../b", prefix: "/a/.../b", matched: "/a/.../b", componentRoute: "/a/.../b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compile(tt.base, tt.route)
			if p.Prefix != tt.prefix || p.Wildcard != tt.wildcard {
				t.Errorf("Compile(%q, %q) = prefix %q wildcard %v, want %q %v", tt.base, tt.route, p.Prefix, p.Wildcard, tt.prefix, tt.wildcard)
			}
			if got := p.Matched(); got != tt.matched {
				t.Errorf("Matched() = %q, want %q", got, tt.matched)
			}
			if got := p.ComponentRoute(); got != tt.componentRoute {
				t.Errorf("ComponentRoute() = %q, want %q", got, tt.componentRoute)
			}
			if p.Base != tt.base || p.Raw != tt.route {
				t.Errorf("Base, Raw = %q, %q; want them as written", p.Base, p.Raw)
			}
		})
	}
}

func TestMatchesAndPathInfo(t *testing.T) {
	tests := []struct {
		name, base, route, path string
		match                   bool
		pathInfo                string
	}{
		{name: "exact", base: "/", route: "/foo/bar", path: "/foo/bar", match: true, pathInfo: ""},
		{name: "exact one trailing slash", base: "/", route: "/foo/bar", path: "/foo/bar/", match: true, pathInfo: "/"},
		{name: "exact two trailing slashes", base: "/", route: "/foo/bar", path: "/foo/bar//", match: false},
		{name: "exact longer", base: "/", route: "/foo", path: "/foo/bar", match: false},
		{name: "exact case sensitive", base: "/", route: "/foo", path: "/Foo", match: false},
		{name: "root exact matches only root", base: "/", route: "/", path: "/", match: true, pathInfo: "/"},
		{name: "root exact not other", base: "/", route: "/", path: "/a", match: false},
		{name: "wildcard bare prefix", base: "/", route: "/foo/...", path: "/foo", match: true, pathInfo: ""},
		{name: "wildcard prefix slash", base: "/", route: "/foo/...", path: "/foo/", match: true, pathInfo: "/"},
		{name: "wildcard deep", base: "/", route: "/foo/...", path: "/foo/bar/baz", match: true, pathInfo: "/bar/baz"},
		{name: "wildcard not sibling", base: "/", route: "/foo/...", path: "/foobar", match: false},
		{name: "wildcard static", base: "/", route: "/static/...", path: "/static/images/abc.png", match: true, pathInfo: "/images/abc.png"},
		{name: "wildcard with base", base: "/base", route: "/static/...", path: "/base/static/images/abc.png", match: true, pathInfo: "/images/abc.png"},
		{name: "wildcard with base misses unbased", base: "/base", route: "/static/...", path: "/static/images/abc.png", match: false},
		{name: "catch-all root", base: "/", route: "/...", path: "/", match: true, pathInfo: "/"},
		{name: "catch-all deep", base: "/", route: "/...", path: "/1/2/3", match: true, pathInfo: "/1/2/3"},
		{name: "percent-encoded path is raw", base: "/", route: "/a%20b", path: "/a%20b", match: true, pathInfo: ""},
		{name: "percent-encoded not decoded", base: "/", route: "/a b", path: "/a%20b", match: false},
		{name: "worked example", base: "/base", route: "/foo/...", path: "/base/foo/bar", match: true, pathInfo: "/bar"},
		{name: "appendix A", base: "/", route: "/hello/...", path: "/hello", match: true, pathInfo: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compile(tt.base, tt.route)
			if got := p.Matches(tt.path); got != tt.match {
				t.Fatalf("Compile(%q, %q).Matches(%q) = %v, want %v", tt.base, tt.route, tt.path, got, tt.match)
			}
			if tt.match {
				if got := p.PathInfo(tt.path); got != tt.pathInfo {
					t.Errorf("PathInfo(%q) = %q, want %q", tt.path, got, tt.pathInfo)
				}
			}
		})
	}
}

func TestRouterPrecedence(t *testing.T) {
	// Manifest order deliberately puts the less specific routes first.
	routes := []string{"/...", "/one/...", "/one/two/...", "/one/two/three/...", "/one/two", "/exact", "/exact/..."}
	var patterns []Pattern
	for _, r := range routes {
		patterns = append(patterns, Compile("/", r))
	}
	router, err := NewRouter(patterns, routes)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{name: "root goes to catch-all", path: "/", want: "/..."},
		{name: "unknown goes to catch-all", path: "/zzz", want: "/..."},
		{name: "one level", path: "/one/x", want: "/one/..."},
		{name: "two levels wildcard beats one", path: "/one/two/x", want: "/one/two/..."},
		{name: "three levels", path: "/one/two/three/x/y", want: "/one/two/three/..."},
		{name: "exact beats longer wildcard", path: "/one/two", want: "/one/two"},
		{name: "exact with trailing slash", path: "/one/two/", want: "/one/two"},
		{name: "exact beats same-prefix wildcard", path: "/exact", want: "/exact"},
		{name: "below exact goes to wildcard", path: "/exact/x", want: "/exact/..."},
		{name: "prefix not on segment boundary", path: "/onex", want: "/..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, ok := router.Route(tt.path)
			if !ok || got != tt.want {
				t.Errorf("Route(%q) = %q, %v; want %q", tt.path, got, ok, tt.want)
			}
		})
	}
}

func TestRouterNoMatch(t *testing.T) {
	router, err := NewRouter([]Pattern{Compile("/base", "/a"), Compile("/base", "/w/...")}, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/a", "/w", "/base", "/base/b", "/base/wx"} {
		if p, v, ok := router.Route(path); ok {
			t.Errorf("Route(%q) = %v, %v; want no match", path, p, v)
		}
	}
}

func TestRouterConflict(t *testing.T) {
	tests := []struct {
		name     string
		routes   []string
		conflict bool
	}{
		{name: "same text", routes: []string{"/a", "/a"}, conflict: true},
		{name: "trailing slash compiles the same", routes: []string{"/a", "/a/"}, conflict: true},
		{name: "missing leading slash compiles the same", routes: []string{"a/...", "/a/..."}, conflict: true},
		{name: "exact and wildcard differ", routes: []string{"/a", "/a/..."}, conflict: false},
		{name: "root and catch-all differ", routes: []string{"/", "/..."}, conflict: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []Pattern
			for _, r := range tt.routes {
				ps = append(ps, Compile("/", r))
			}
			_, err := NewRouter(ps, tt.routes)
			if got := errors.Is(err, ErrConflict); got != tt.conflict {
				t.Fatalf("NewRouter(%q) error = %v, conflict want %v", tt.routes, err, tt.conflict)
			}
			if tt.conflict && !strings.Contains(err.Error(), tt.routes[0]) {
				t.Errorf("error %q does not name the first route %q", err, tt.routes[0])
			}
		})
	}
}

func FuzzRoute(f *testing.F) {
	f.Add("/", "/...", "/a/b")
	f.Add("/base/", "/foo/", "/base/foo/")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, base, route, path string) {
		p := Compile(base, route)
		if !p.Matches(path) {
			return
		}
		info := p.PathInfo(path)
		// The path is always the prefix followed by the path info.
		if p.Prefix+info != path {
			t.Fatalf("Compile(%q, %q): prefix %q + info %q != path %q", base, route, p.Prefix, info, path)
		}
		if info != "" && info[0] != '/' {
			t.Fatalf("path info %q does not start with /", info)
		}
	})
}
