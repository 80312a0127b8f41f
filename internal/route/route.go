package route

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConflict is returned by NewRouter when two routes compile to the same
// pattern.
var ErrConflict = errors.New("route: duplicate route")

// Pattern is one compiled route. The zero value is not useful; use Compile.
// A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	// Base is the application base exactly as written in the manifest.
	Base string
	// Raw is the component route exactly as written in the manifest.
	Raw string
	// Prefix is the exact path (Wildcard false) or the wildcard prefix
	// (Wildcard true) that a request path is compared with. It never ends
	// in "/"; the root is "".
	Prefix string
	// Wildcard reports whether the route ended in "/...".
	Wildcard bool
}

// Compile joins base and route as Spin v1.5.1 does: a "/" is prepended to
// route (and, unlike 1.x, to base; see the package httptrigger docs) when it
// is missing, one trailing "/" is stripped from each, and a result ending in
// "/..." is a wildcard.
func Compile(base, route string) Pattern {
	full := sanitize(base) + sanitize(route)
	p := Pattern{Base: base, Raw: route}
	if prefix, ok := strings.CutSuffix(full, "/..."); ok {
		p.Prefix, p.Wildcard = prefix, true
	} else {
		p.Prefix = full
	}
	return p
}

// sanitize prepends "/" when s does not start with one and strips one
// trailing "/".
func sanitize(s string) string {
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return strings.TrimSuffix(s, "/")
}

// Matches reports whether the raw (still percent-encoded) request path,
// without query, matches p. One trailing "/" of path is ignored.
func (p Pattern) Matches(path string) bool {
	s := strings.TrimSuffix(path, "/")
	if !p.Wildcard {
		return s == p.Prefix
	}
	return s == p.Prefix || (strings.HasPrefix(s, p.Prefix) && len(s) > len(p.Prefix) && s[len(p.Prefix)] == '/')
}

// PathInfo is the request path with the matched prefix removed: the value
// of spin-path-info and of WAGI's PATH_INFO. path must match p.
func (p Pattern) PathInfo(path string) string {
	rest, ok := strings.CutPrefix(path, p.Prefix)
	if !ok {
		return ""
	}
	return rest
}

// Matched is the base-joined route as compiled, with "/..." kept for a
// wildcard: the value of spin-matched-route (e.g. "/base/foo/...", "" for the
// route "/" at base "/").
func (p Pattern) Matched() string {
	if p.Wildcard {
		return p.Prefix + "/..."
	}
	return p.Prefix
}

// ComponentRoute is the raw route with a trailing "/..." removed: the value
// of spin-component-route ("/foo/..." -> "/foo", "/..." -> "").
func (p Pattern) ComponentRoute() string {
	r, _ := strings.CutSuffix(p.Raw, "/...")
	return r
}

// ScriptName is the base-joined route without "/...": WAGI's SCRIPT_NAME.
func (p Pattern) ScriptName() string { return p.Prefix }

// String returns the compiled pattern, as Matched does.
func (p Pattern) String() string { return p.Matched() }

// Router picks the route for a request path. It is immutable and safe for
// concurrent use.
type Router[T any] struct {
	patterns []Pattern
	values   []T
}

// NewRouter builds a router over patterns (in manifest order), each with
// its value. Two patterns that compile identically (same prefix, same
// kind) give an error matching ErrConflict naming both routes, one error
// per conflict, joined.
func NewRouter[T any](patterns []Pattern, values []T) (*Router[T], error) {
	if len(patterns) != len(values) {
		return nil, fmt.Errorf("route: %d patterns but %d values", len(patterns), len(values))
	}
	type key struct {
		prefix   string
		wildcard bool
	}
	seen := make(map[key]int, len(patterns))
	var errs []error
	for i, p := range patterns {
		k := key{p.Prefix, p.Wildcard}
		if j, ok := seen[k]; ok {
			errs = append(errs, fmt.Errorf("%w: route %q and route %q both compile to %q",
				ErrConflict, patterns[j].Raw, p.Raw, p.Matched()))
			continue
		}
		seen[k] = i
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Router[T]{patterns: patterns, values: values}, nil
}

// Route returns the pattern and value chosen for the raw request path: the
// first exact match, else the matching wildcard with the longest prefix.
// ok is false when nothing matches.
func (r *Router[T]) Route(path string) (p Pattern, v T, ok bool) {
	best := -1
	for i := range r.patterns {
		pi := &r.patterns[i]
		if !pi.Matches(path) {
			continue
		}
		if !pi.Wildcard {
			return *pi, r.values[i], true
		}
		if best < 0 || len(pi.Prefix) > len(r.patterns[best].Prefix) {
			best = i
		}
	}
	if best < 0 {
		return Pattern{}, v, false
	}
	return r.patterns[best], r.values[best], true
}

// Len returns the number of routes.
func (r *Router[T]) Len() int { return len(r.patterns) }
