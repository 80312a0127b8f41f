package manifest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spindlekv/spindle/internal/tomlpos"
)

// decoder turns the TOML tree into an App, collecting every problem.
type decoder struct {
	file  string
	rules Rules
	errs  []*Error
	app   *App
	// v2 is set while decoding a version 2 manifest; spin3 while the
	// Spin 3 rules apply (v2, or v1 with Spin3 rules).
	v2, spin3 bool
}

func (d *decoder) fail(pos Position, field string, kind error, format string, args ...any) {
	d.errs = append(d.errs, tomlpos.Errorf(d.file, pos, field, kind, format, args...))
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// fields reports keys of table t that are not in allowed.
func (d *decoder) fields(t *node, field, where string, allowed ...string) {
	for _, k := range t.Keys {
		if !slices.Contains(allowed, k) {
			d.fail(t.Fields[k].KeyPos, join(field, k), ErrUnknownField, "unknown field %q in %s", k, where)
		}
	}
}

func (d *decoder) wantKind(n *node, field string, k kind) bool {
	if n.Kind != k {
		d.fail(n.Pos, field, ErrInvalidType, "%s: expected %s, found %s", field, k.Article(), n.Kind.Article())
		return false
	}
	return true
}

func (d *decoder) missing(t *node, field, where, key string) {
	d.fail(t.Pos, join(field, key), ErrMissingField, "missing field %q in %s", key, where)
}

// str reads an optional string; ok is false when absent or mistyped.
func (d *decoder) str(t *node, field, key string) (string, bool) {
	n := t.Get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindString) {
		return "", false
	}
	return n.Str, true
}

// reqStr reads a required string.
func (d *decoder) reqStr(t *node, field, where, key string) (string, bool) {
	if t.Get(key) == nil {
		d.missing(t, field, where, key)
		return "", false
	}
	return d.str(t, field, key)
}

func (d *decoder) boolean(t *node, field, key string) (bool, bool) {
	n := t.Get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindBool) {
		return false, false
	}
	return n.Bool, true
}

// strList reads an optional array of strings.
func (d *decoder) strList(t *node, field, key string) ([]string, []*node) {
	n := t.Get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindArray) {
		return nil, nil
	}
	out := make([]string, 0, len(n.Arr))
	nodes := make([]*node, 0, len(n.Arr))
	for i, e := range n.Arr {
		if d.wantKind(e, fmt.Sprintf("%s[%d]", join(field, key), i), kindString) {
			out = append(out, e.Str)
			nodes = append(nodes, e)
		}
	}
	return out, nodes
}

// strMap reads an optional table of strings.
func (d *decoder) strMap(t *node, field, key string) (map[string]string, *node) {
	n := t.Get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindTable) {
		return nil, nil
	}
	out := make(map[string]string, len(n.Keys))
	for _, k := range n.Keys {
		if v := n.Fields[k]; d.wantKind(v, join(join(field, key), k), kindString) {
			out[k] = v.Str
		}
	}
	return out, n
}

func (d *decoder) decode(root *node) *App {
	d.app = &App{HTTPBase: DefaultHTTPBase}
	version, ok := d.version(root)
	if !ok {
		return d.app
	}
	d.app.ManifestVersion = version
	if version == 2 {
		d.v2, d.spin3 = true, true
		d.decodeV2(root)
	} else {
		d.spin3 = d.rules != Spin1
		d.decodeV1(root)
	}
	return d.app
}

// version detects the manifest version as Spin 3 does
// (v3.1.2:crates/manifest/src/lib.rs, ManifestVersion::detect).
func (d *decoder) version(root *node) (int, bool) {
	n, key := root.Get("spin_manifest_version"), "spin_manifest_version"
	if alt := root.Get("spin_version"); alt != nil {
		if n != nil {
			d.fail(alt.KeyPos, "spin_version", ErrUnsupportedVersion, "duplicate field %q: spin_version is an alias of spin_manifest_version", "spin_version")
			return 0, false
		}
		n, key = alt, "spin_version"
	}
	if n == nil {
		d.fail(root.Pos, "spin_manifest_version", ErrMissingField, "missing field %q", "spin_manifest_version")
		return 0, false
	}
	switch {
	case n.Kind == kindString && n.Str == "1":
		return 1, true
	case n.Kind == kindInteger && n.Int == 1:
		return 1, true
	case n.Kind == kindInteger && n.Int == 2:
		return 2, true
	}
	var shown string
	switch n.Kind {
	case kindString:
		shown = strconv.Quote(n.Str)
	case kindInteger:
		shown = strconv.FormatInt(n.Int, 10)
	default:
		shown = "a " + n.Kind.String()
	}
	d.fail(n.Pos, key, ErrUnsupportedVersion, "invalid manifest version: %s (supported: \"1\" and 2)", shown)
	return 0, false
}

func normaliseBase(b string) string {
	if !strings.HasPrefix(b, "/") {
		b = "/" + b
	}
	return b
}

// variables decodes the top-level [variables] table.
func (d *decoder) variables(root *node) map[string]Variable {
	vt := root.Get("variables")
	if vt == nil || !d.wantKind(vt, "variables", kindTable) {
		return map[string]Variable{}
	}
	out := make(map[string]Variable, len(vt.Keys))
	for _, name := range vt.Keys {
		vn := vt.Fields[name]
		field := join("variables", name)
		if msg := d.variableName(name); msg != "" {
			d.fail(vn.KeyPos, field, ErrInvalidID, "invalid variable name %q: %s", name, msg)
		}
		if !d.wantKind(vn, field, kindTable) {
			continue
		}
		d.fields(vn, field, "variable "+strconv.Quote(name), "required", "default", "secret")
		v := Variable{Pos: vn.KeyPos}
		v.Required, _ = d.boolean(vn, field, "required")
		v.Secret, _ = d.boolean(vn, field, "secret")
		v.Default, v.HasDefault = d.str(vn, field, "default")
		if v.Required == v.HasDefault {
			d.fail(vn.KeyPos, field, ErrInvalidVariable, "variable %q: must be `required` OR have a `default`", name)
		}
		out[name] = v
	}
	return out
}

func (d *decoder) variableName(name string) string {
	if d.spin3 {
		return checkLowerSnake(name)
	}
	return checkV1VariableName(name)
}
