package manifest

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// decoder turns the TOML tree into an App, collecting every problem.
type decoder struct {
	file  string
	rules Rules
	errs  []error
	app   *App
	// v2 is set while decoding a version 2 manifest; spin3 while the
	// Spin 3 rules apply (v2, or v1 with Spin3 rules).
	v2, spin3 bool
}

func (d *decoder) fail(pos Position, field string, kind error, format string, args ...any) {
	if pos == (Position{}) {
		pos = Position{Line: 1, Column: 1}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: pos.Line, Column: pos.Column, Field: field,
		Err: &problem{kind: kind, msg: fmt.Sprintf(format, args...)}})
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// fields reports keys of table t that are not in allowed.
func (d *decoder) fields(t *node, field, where string, allowed ...string) {
	for _, k := range t.keys {
		if !slices.Contains(allowed, k) {
			d.fail(t.fields[k].keyPos, join(field, k), ErrUnknownField, "unknown field %q in %s", k, where)
		}
	}
}

func (d *decoder) wantKind(n *node, field string, k kind) bool {
	if n.kind != k {
		d.fail(n.pos, field, ErrInvalidType, "%s: expected %s, found %s", field, article(k), article(n.kind))
		return false
	}
	return true
}

func article(k kind) string {
	switch k {
	case kindArray:
		return "an array"
	case kindInteger:
		return "an integer"
	}
	return "a " + k.String()
}

func (d *decoder) missing(t *node, field, where, key string) {
	d.fail(t.pos, join(field, key), ErrMissingField, "missing field %q in %s", key, where)
}

// str reads an optional string; ok is false when absent or mistyped.
func (d *decoder) str(t *node, field, key string) (string, bool) {
	n := t.get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindString) {
		return "", false
	}
	return n.str, true
}

// reqStr reads a required string.
func (d *decoder) reqStr(t *node, field, where, key string) (string, bool) {
	if t.get(key) == nil {
		d.missing(t, field, where, key)
		return "", false
	}
	return d.str(t, field, key)
}

func (d *decoder) boolean(t *node, field, key string) (bool, bool) {
	n := t.get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindBool) {
		return false, false
	}
	return n.bool, true
}

// strList reads an optional array of strings.
func (d *decoder) strList(t *node, field, key string) ([]string, []*node) {
	n := t.get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindArray) {
		return nil, nil
	}
	out := make([]string, 0, len(n.arr))
	nodes := make([]*node, 0, len(n.arr))
	for i, e := range n.arr {
		if d.wantKind(e, fmt.Sprintf("%s[%d]", join(field, key), i), kindString) {
			out = append(out, e.str)
			nodes = append(nodes, e)
		}
	}
	return out, nodes
}

// strMap reads an optional table of strings.
func (d *decoder) strMap(t *node, field, key string) (map[string]string, *node) {
	n := t.get(key)
	if n == nil || !d.wantKind(n, join(field, key), kindTable) {
		return nil, nil
	}
	out := make(map[string]string, len(n.keys))
	for _, k := range n.keys {
		if v := n.fields[k]; d.wantKind(v, join(join(field, key), k), kindString) {
			out[k] = v.str
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
		d.spin3 = d.rules == Spin3
		d.decodeV1(root)
	}
	return d.app
}

// version detects the manifest version (spec §1.1).
func (d *decoder) version(root *node) (int, bool) {
	n, key := root.get("spin_manifest_version"), "spin_manifest_version"
	if alt := root.get("spin_version"); alt != nil {
		if n != nil {
			d.fail(alt.keyPos, "spin_version", ErrUnsupportedVersion, "duplicate field %q: spin_version is an alias of spin_manifest_version", "spin_version")
			return 0, false
		}
		n, key = alt, "spin_version"
	}
	if n == nil {
		d.fail(root.pos, "spin_manifest_version", ErrMissingField, "missing field %q", "spin_manifest_version")
		return 0, false
	}
	switch {
	case n.kind == kindString && n.str == "1":
		return 1, true
	case n.kind == kindInteger && n.num == 1:
		return 1, true
	case n.kind == kindInteger && n.num == 2:
		return 2, true
	}
	var shown string
	switch n.kind {
	case kindString:
		shown = strconv.Quote(n.str)
	case kindInteger:
		shown = strconv.FormatInt(n.num, 10)
	default:
		shown = "a " + n.kind.String()
	}
	d.fail(n.pos, key, ErrUnsupportedVersion, "invalid manifest version: %s (supported: \"1\" and 2)", shown)
	return 0, false
}

func normaliseBase(b string) string {
	if !strings.HasPrefix(b, "/") {
		b = "/" + b
	}
	return b
}

func (d *decoder) decodeV1(root *node) {
	app := d.app
	allowed := []string{"spin_manifest_version", "spin_version", "name", "version", "description", "authors", "trigger", "variables", "component"}
	if !d.spin3 {
		allowed = append(allowed, "namespace")
	}
	d.fields(root, "", "the manifest", allowed...)
	const where = "the manifest"
	app.Name, _ = d.reqStr(root, "", where, "name")
	if d.spin3 {
		app.Version, _ = d.str(root, "", "version")
	} else {
		app.Version, _ = d.reqStr(root, "", where, "version")
		app.Namespace, _ = d.str(root, "", "namespace")
	}
	app.Description, _ = d.str(root, "", "description")
	app.Authors, _ = d.strList(root, "", "authors")
	app.Variables = d.variables(root)

	// The application trigger.
	triggerType := ""
	if t := root.get("trigger"); t == nil {
		d.missing(root, "", where, "trigger")
	} else if d.wantKind(t, "trigger", kindTable) {
		if typ, ok := d.reqStr(t, "trigger", "trigger", "type"); ok {
			triggerType = typ
			settings := map[string]any{}
			for _, k := range t.keys {
				if k != "type" && !(typ == "http" && k == "base") {
					settings[k] = t.fields[k].toAny()
				}
			}
			app.TriggerSettings = map[string]map[string]any{typ: settings}
			switch typ {
			case "http":
				if t.get("base") == nil && !d.spin3 {
					d.missing(t, "trigger", "trigger", "base")
				} else if base, ok := d.str(t, "trigger", "base"); ok {
					app.HTTPBase = normaliseBase(base)
				}
			case "redis":
				if !d.spin3 && t.get("address") == nil {
					d.missing(t, "trigger", "trigger", "address")
				}
			}
		}
	}

	comps := root.get("component")
	if comps == nil {
		if !d.spin3 {
			d.missing(root, "", where, "component")
		}
		return
	}
	if !d.wantKind(comps, "component", kindArray) {
		return
	}
	seen := map[string]bool{}
	for i, cn := range comps.arr {
		field := fmt.Sprintf("component[%d]", i)
		if !d.wantKind(cn, field, kindTable) {
			continue
		}
		d.componentV1(cn, field, triggerType, seen)
	}
}

func (d *decoder) componentV1(cn *node, field, triggerType string, seen map[string]bool) {
	const where = "[[component]]"
	allowed := []string{"id", "source", "description", "files", "exclude_files", "allowed_http_hosts",
		"key_value_stores", "sqlite_databases", "ai_models", "environment", "trigger", "build", "config"}
	if d.spin3 {
		allowed = append(allowed, "allowed_outbound_hosts")
	}
	d.fields(cn, field, where, allowed...)
	c := Component{Pos: cn.pos}
	id, ok := d.reqStr(cn, field, where, "id")
	if ok {
		if d.spin3 {
			norm, msg := normaliseV1ID(id)
			if msg != "" {
				d.fail(cn.get("id").pos, join(field, "id"), ErrInvalidID, "invalid ID %q: %s", id, msg)
			}
			id = norm
		}
		if seen[id] {
			d.fail(cn.get("id").pos, join(field, "id"), ErrDuplicateID, "cannot have duplicate component IDs: %s", id)
		}
		seen[id] = true
	}
	c.ID = id
	if cn.get("source") == nil {
		d.missing(cn, field, where, "source")
	}
	d.componentCommon(cn, field, where, &c, "config")

	if t := cn.get("trigger"); t == nil {
		d.missing(cn, field, where, "trigger")
	} else if d.wantKind(t, join(field, "trigger"), kindTable) && triggerType != "" {
		tf := join(field, "trigger")
		if triggerType == "http" {
			h := HTTPTrigger{ID: "trigger-" + id, Component: id, Pos: t.pos, Executor: Executor{Type: ExecutorSpin}}
			if d.spin3 {
				d.fields(t, tf, "[component.trigger]", "route", "executor")
			}
			h.Route, _ = d.reqStr(t, tf, "[component.trigger]", "route")
			if e := t.get("executor"); e != nil {
				h.Executor = d.executor(e, join(tf, "executor"))
			}
			d.app.HTTPTriggers = append(d.app.HTTPTriggers, h)
		} else {
			d.app.Triggers = append(d.app.Triggers, Trigger{
				Type: triggerType, ID: "trigger-" + id, Component: id,
				Config: t.toAny().(map[string]any), Pos: t.pos,
			})
		}
	}
	d.app.Components = append(d.app.Components, c)
}

// executor decodes an HTTP executor table (spec §1.2, §1.8, §4.1).
func (d *decoder) executor(e *node, field string) Executor {
	if !d.wantKind(e, field, kindTable) {
		return Executor{Type: ExecutorSpin}
	}
	const where = "executor"
	typ, ok := d.reqStr(e, field, where, "type")
	if !ok {
		return Executor{Type: ExecutorSpin}
	}
	switch {
	case typ == ExecutorSpin || typ == "http" && d.spin3:
		d.fields(e, field, "the "+typ+" executor", "type")
		return Executor{Type: ExecutorSpin}
	case typ == ExecutorWagi:
		d.fields(e, field, "the wagi executor", "type", "entrypoint", "argv")
		x := Executor{Type: ExecutorWagi, Entrypoint: DefaultWagiEntrypoint, Argv: DefaultWagiArgv}
		if s, ok := d.str(e, field, "entrypoint"); ok {
			x.Entrypoint = s
		}
		if s, ok := d.str(e, field, "argv"); ok {
			x.Argv = s
		}
		return x
	}
	want := `"spin" or "wagi"`
	if d.spin3 {
		want = `"http", "spin" or "wagi"`
	}
	d.fail(e.get("type").pos, join(field, "type"), ErrInvalidValue, "unknown executor type %q (want %s)", typ, want)
	return Executor{Type: ExecutorSpin}
}

// variables decodes the top-level [variables] table.
func (d *decoder) variables(root *node) map[string]Variable {
	vt := root.get("variables")
	if vt == nil || !d.wantKind(vt, "variables", kindTable) {
		return map[string]Variable{}
	}
	out := make(map[string]Variable, len(vt.keys))
	for _, name := range vt.keys {
		vn := vt.fields[name]
		field := join("variables", name)
		if msg := d.variableName(name); msg != "" {
			d.fail(vn.keyPos, field, ErrInvalidID, "invalid variable name %q: %s", name, msg)
		}
		if !d.wantKind(vn, field, kindTable) {
			continue
		}
		d.fields(vn, field, "variable "+strconv.Quote(name), "required", "default", "secret")
		v := Variable{Pos: vn.keyPos}
		v.Required, _ = d.boolean(vn, field, "required")
		v.Secret, _ = d.boolean(vn, field, "secret")
		v.Default, v.HasDefault = d.str(vn, field, "default")
		if v.Required == v.HasDefault {
			d.fail(vn.keyPos, field, ErrInvalidVariable, "variable %q: must be `required` OR have a `default`", name)
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

// componentCommon decodes the keys v1 and v2 components share.
// varsKey is "config" (v1) or "variables" (v2).
func (d *decoder) componentCommon(cn *node, field, where string, c *Component, varsKey string) {
	if s := cn.get("source"); s != nil {
		c.Source = d.source(s, join(field, "source"))
	}
	c.Description, _ = d.str(cn, field, "description")
	d.files(cn, field, c)
	c.ExcludeFiles, _ = d.strList(cn, field, "exclude_files")
	c.Environment, _ = d.strMap(cn, field, "environment")

	labels, nodes := d.strList(cn, field, "key_value_stores")
	for i, l := range labels {
		msg := checkV1StoreLabel(l)
		if d.spin3 {
			msg = checkStoreLabel(l)
		}
		if msg != "" {
			d.fail(nodes[i].pos, join(field, "key_value_stores"), ErrInvalidID, "invalid store label %q: %s", l, msg)
		}
	}
	c.KeyValueStores = labels
	c.SQLiteDatabases, _ = d.strList(cn, field, "sqlite_databases")
	models, mnodes := d.strList(cn, field, "ai_models")
	if d.spin3 {
		for i, m := range models {
			if msg := checkKebab(m); msg != "" {
				d.fail(mnodes[i].pos, join(field, "ai_models"), ErrInvalidID, "invalid AI model %q: %s", m, msg)
			}
		}
	}
	c.AIModels = models

	outbound, hasOutbound := []string(nil), cn.get("allowed_outbound_hosts") != nil
	if hasOutbound {
		outbound, _ = d.strList(cn, field, "allowed_outbound_hosts")
	}
	if hosts, hnodes := d.strList(cn, field, "allowed_http_hosts"); hosts != nil || cn.get("allowed_http_hosts") != nil {
		outbound = append(outbound, d.convertHTTPHosts(hosts, hnodes, join(field, "allowed_http_hosts"))...)
	}
	if !d.v2 && !hasOutbound {
		outbound = append(outbound, "redis://*:*", "mysql://*:*", "postgres://*:*")
	}
	if outbound == nil {
		outbound = []string{}
	}
	c.AllowedOutboundHosts = outbound

	if vars, vn := d.strMap(cn, field, varsKey); vn != nil {
		for _, k := range vn.keys {
			kn := vn.fields[k]
			kf := join(join(field, varsKey), k)
			if msg := d.variableName(k); msg != "" {
				d.fail(kn.keyPos, kf, ErrInvalidID, "invalid variable name %q: %s", k, msg)
			}
			v, ok := vars[k]
			if !ok {
				continue
			}
			parts, err := parseTemplate(v)
			if err != nil {
				d.fail(kn.pos, kf, ErrInvalidTemplate, "invalid template for %q: %v", k, err)
				continue
			}
			for _, p := range parts {
				if _, declared := d.app.Variables[p.text]; p.isVar && !declared {
					d.fail(kn.pos, kf, ErrInvalidTemplate, "invalid template for %q: undeclared variable %q", k, p.text)
				}
			}
		}
		c.Variables = vars
	}
	if c.Variables == nil {
		c.Variables = map[string]string{}
	}
	if c.Environment == nil {
		c.Environment = map[string]string{}
	}
	if b := cn.get("build"); b != nil {
		c.Build = d.build(b, join(field, "build"))
	}
}

// source decodes a component source: a path, { url, digest } or (v2) a
// registry { registry?, package, version }.
func (d *decoder) source(s *node, field string) Source {
	switch s.kind {
	case kindString:
		if s.str == "" {
			d.fail(s.pos, field, ErrInvalidValue, "source: path must not be empty")
		}
		return Source{Path: s.str}
	case kindTable:
	default:
		d.fail(s.pos, field, ErrInvalidType, "%s: expected a string or a table, found %s", field, article(s.kind))
		return Source{}
	}
	if d.v2 && s.get("package") != nil {
		d.fields(s, field, "source", "registry", "package", "version")
		var src Source
		src.Registry, _ = d.str(s, field, "registry")
		src.Package, _ = d.reqStr(s, field, "source", "package")
		src.Version, _ = d.reqStr(s, field, "source", "version")
		return src
	}
	d.fields(s, field, "source", "url", "digest")
	var src Source
	if u, ok := d.reqStr(s, field, "source", "url"); ok {
		src.URL = u
		pu, err := url.Parse(u)
		switch {
		case err != nil || pu.Host == "":
			d.fail(s.get("url").pos, join(field, "url"), ErrInvalidValue, "invalid source URL %q", u)
		case pu.Scheme != "https" && !(d.spin3 && pu.Scheme == "http"):
			d.fail(s.get("url").pos, join(field, "url"), ErrInvalidValue, "invalid URL scheme %q in source URL %q: must be HTTPS", pu.Scheme, u)
		}
	}
	if dg, ok := d.reqStr(s, field, "source", "digest"); ok {
		src.Digest = dg
		hexPart, found := strings.CutPrefix(dg, "sha256:")
		if !found || hexPart == "" || strings.Trim(strings.ToLower(hexPart), "0123456789abcdef") != "" {
			d.fail(s.get("digest").pos, join(field, "digest"), ErrInvalidValue, "invalid digest %q: must be \"sha256:<hex>\"", dg)
		}
	}
	return src
}

// files decodes a component's files list (spec §1.6).
func (d *decoder) files(cn *node, field string, c *Component) {
	fn := cn.get("files")
	if fn == nil || !d.wantKind(fn, join(field, "files"), kindArray) {
		return
	}
	for i, e := range fn.arr {
		ef := fmt.Sprintf("%s[%d]", join(field, "files"), i)
		switch e.kind {
		case kindString:
			if e.str == "" {
				d.fail(e.pos, ef, ErrInvalidValue, "files: empty pattern")
				continue
			}
			c.Files = append(c.Files, FileMount{Pattern: e.str})
		case kindTable:
			d.fields(e, ef, "a files placement", "source", "destination")
			src, ok1 := d.reqStr(e, ef, "a files placement", "source")
			dst, ok2 := d.reqStr(e, ef, "a files placement", "destination")
			if ok1 && (src == "" || isAbsPath(src)) {
				d.fail(e.get("source").pos, join(ef, "source"), ErrInvalidValue, "files: source paths must be relative: %q", src)
			}
			if ok2 && !strings.HasPrefix(dst, "/") {
				d.fail(e.get("destination").pos, join(ef, "destination"), ErrInvalidValue, "files: guest paths must be absolute: %q", dst)
			}
			c.Files = append(c.Files, FileMount{Source: src, Destination: dst})
		default:
			d.fail(e.pos, ef, ErrInvalidType, "%s: expected a string or a { source, destination } table, found %s", ef, article(e.kind))
		}
	}
}

func isAbsPath(p string) bool {
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || len(p) >= 2 && p[1] == ':'
}

func (d *decoder) build(b *node, field string) *Build {
	if !d.wantKind(b, field, kindTable) {
		return nil
	}
	const where = "[component.build]"
	d.fields(b, field, where, "command", "workdir", "watch")
	out := &Build{}
	switch cmd := b.get("command"); {
	case cmd == nil:
		d.missing(b, field, where, "command")
	case cmd.kind == kindArray && d.v2:
		out.Command, _ = d.strList(b, field, "command")
	case cmd.kind == kindString:
		out.Command = []string{cmd.str}
	default:
		want := "a string"
		if d.v2 {
			want = "a string or an array of strings"
		}
		d.fail(cmd.pos, join(field, "command"), ErrInvalidType, "%s: expected %s, found %s", join(field, "command"), want, article(cmd.kind))
	}
	out.Workdir, _ = d.str(b, field, "workdir")
	out.Watch, _ = d.strList(b, field, "watch")
	return out
}

// convertHTTPHosts validates v1 allowed_http_hosts (spec §1.3, §1.7) and
// converts them to allowed_outbound_hosts as Spin 3 does (§1.4).
func (d *decoder) convertHTTPHosts(hosts []string, nodes []*node, field string) []string {
	if slices.Contains(hosts, "insecure:allow-all") {
		return []string{"http://*:*", "https://*:*", "http://self"}
	}
	out := []string{}
	for i, h := range hosts {
		if h == "self" {
			out = append(out, "http://self")
			continue
		}
		if strings.Contains(h, "://") {
			u, err := url.Parse(h)
			switch {
			case err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https":
				d.fail(nodes[i].pos, field, ErrInvalidValue, "allowed_http_hosts: %s isn't a valid host or host:port string", h)
			case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
				d.fail(nodes[i].pos, field, ErrInvalidValue, "allowed_http_hosts: %s contains a path, should be host and optional port only", h)
			default:
				out = append(out, u.Scheme+"://"+u.Host)
			}
			continue
		}
		u, err := url.Parse("http://" + h)
		switch {
		case err != nil || u.Host == "" || u.User != nil:
			d.fail(nodes[i].pos, field, ErrInvalidValue, "allowed_http_hosts: %s isn't a valid host or host:port string", h)
		case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
			d.fail(nodes[i].pos, field, ErrInvalidValue, "allowed_http_hosts: %s contains a path, should be host and optional port only", h)
		default:
			out = append(out, "http://"+u.Host, "https://"+u.Host)
		}
	}
	return out
}

func (d *decoder) decodeV2(root *node) {
	app := d.app
	d.fields(root, "", "the manifest", "spin_manifest_version", "spin_version", "application", "variables", "trigger", "component")
	if a := root.get("application"); a == nil {
		d.missing(root, "", "the manifest", "application")
	} else if d.wantKind(a, "application", kindTable) {
		const where = "[application]"
		d.fields(a, "application", where, "name", "version", "description", "authors", "trigger", "tool")
		app.Name, _ = d.reqStr(a, "application", where, "name")
		app.Version, _ = d.str(a, "application", "version")
		app.Description, _ = d.str(a, "application", "description")
		app.Authors, _ = d.strList(a, "application", "authors")
		if t := a.get("trigger"); t != nil && d.wantKind(t, "application.trigger", kindTable) {
			app.TriggerSettings = map[string]map[string]any{}
			for _, typ := range t.keys {
				tn := t.fields[typ]
				tf := join("application.trigger", typ)
				if !d.wantKind(tn, tf, kindTable) {
					continue
				}
				settings := map[string]any{}
				for _, k := range tn.keys {
					if typ == "http" && k == "base" {
						if base, ok := d.str(tn, tf, "base"); ok {
							app.HTTPBase = normaliseBase(base)
						}
						continue
					}
					settings[k] = tn.fields[k].toAny()
				}
				app.TriggerSettings[typ] = settings
			}
		}
		if t := a.get("tool"); t != nil {
			d.wantKind(t, "application.tool", kindTable)
		}
	}
	app.Variables = d.variables(root)

	ids := map[string]bool{}
	if ct := root.get("component"); ct != nil && d.wantKind(ct, "component", kindTable) {
		for _, id := range ct.keys {
			cn := ct.fields[id]
			field := join("component", id)
			if msg := checkKebab(id); msg != "" {
				d.fail(cn.keyPos, field, ErrInvalidID, "invalid component id %q: %s", id, msg)
			}
			ids[id] = true
			if !d.wantKind(cn, field, kindTable) {
				continue
			}
			app.Components = append(app.Components, d.componentV2(cn, id, field))
		}
	}

	tt := root.get("trigger")
	if tt == nil {
		d.missing(root, "", "the manifest", "trigger")
		return
	}
	if !d.wantKind(tt, "trigger", kindTable) {
		return
	}
	d.triggersV2(tt, ids)
}

func (d *decoder) componentV2(cn *node, id, field string) Component {
	where := "[component." + id + "]"
	d.fields(cn, field, where, "source", "description", "variables", "environment", "files", "exclude_files",
		"allowed_http_hosts", "allowed_outbound_hosts", "key_value_stores", "sqlite_databases", "ai_models",
		"build", "tool", "dependencies_inherit_configuration", "dependencies")
	c := Component{ID: id, Pos: cn.pos}
	if cn.get("source") == nil {
		d.missing(cn, field, where, "source")
	}
	d.componentCommon(cn, field, where, &c, "variables")
	if t := cn.get("tool"); t != nil {
		d.wantKind(t, join(field, "tool"), kindTable)
	}
	if t := cn.get("dependencies"); t != nil {
		d.wantKind(t, join(field, "dependencies"), kindTable)
	}
	d.boolean(cn, field, "dependencies_inherit_configuration")
	return c
}

// pendingInline is an inline component waiting for its generated id.
type pendingInline struct {
	node  *node
	field string
	id    string // generated id, or "" for "inline-component<N>"
	set   func(id string)
}

func (d *decoder) triggersV2(tt *node, ids map[string]bool) {
	app := d.app
	triggerIDs := map[string]bool{}
	// First pass: explicit trigger ids, so generated ones avoid them.
	for _, typ := range tt.keys {
		if arr := tt.fields[typ]; arr.kind == kindArray {
			for _, e := range arr.arr {
				if e.kind == kindTable && e.get("id") != nil && e.get("id").kind == kindString {
					id := e.get("id")
					if triggerIDs[id.str] {
						d.fail(id.pos, join(join("trigger", typ), "id"), ErrDuplicateID, "duplicate trigger id %q", id.str)
					}
					triggerIDs[id.str] = true
				}
			}
		}
	}
	unique := func(base string, numbered bool, counter *int) string {
		if !numbered && !triggerIDs[base] {
			triggerIDs[base] = true
			return base
		}
		for {
			*counter++
			id := base + strconv.Itoa(*counter)
			if !triggerIDs[id] {
				triggerIDs[id] = true
				return id
			}
		}
	}
	var inline []pendingInline
	inlineCounter := 0
	type ref struct {
		id, trigger string
		pos         Position
		field       string
	}
	var refs []ref

	for _, typ := range tt.keys {
		arr := tt.fields[typ]
		tf := join("trigger", typ)
		if !d.wantKind(arr, tf, kindArray) {
			continue
		}
		counter := 0
		for i, e := range arr.arr {
			ef := fmt.Sprintf("%s[%d]", tf, i)
			if !d.wantKind(e, ef, kindTable) {
				continue
			}
			where := "[[trigger." + typ + "]]"
			id, hasID := d.str(e, ef, "id")
			cn := e.get("component")
			compRef := ""
			if cn != nil && cn.kind == kindString {
				compRef = cn.str
			}
			if !hasID {
				if compRef != "" {
					id = unique(compRef+"-"+typ+"-trigger", false, &counter)
				} else {
					id = unique(typ+"-trigger", true, &counter)
				}
			}
			if typ == "http" {
				h := HTTPTrigger{ID: id, Component: compRef, Pos: e.pos, Executor: Executor{Type: ExecutorSpin}}
				d.fields(e, ef, where, "id", "component", "route", "executor")
				idx := len(app.HTTPTriggers)
				d.triggerComponent(e, ef, where, id, compRef, &inline, func(c string) { app.HTTPTriggers[idx].Component = c },
					func(r string, p Position) { refs = append(refs, ref{r, id, p, join(ef, "component")}) })
				switch r := e.get("route"); {
				case r == nil:
					d.missing(e, ef, where, "route")
				case r.kind == kindString:
					h.Route = r.str
				case r.kind == kindTable:
					d.fields(r, join(ef, "route"), "route", "private")
					if p, ok := d.boolean(r, join(ef, "route"), "private"); !ok || !p {
						d.fail(r.pos, join(ef, "route"), ErrInvalidValue, "route must be a string pattern or '{ private = true }'")
					}
					h.Private = true
				default:
					d.fail(r.pos, join(ef, "route"), ErrInvalidType, "route must be a string pattern or '{ private = true }'")
				}
				if x := e.get("executor"); x != nil {
					h.Executor = d.executor(x, join(ef, "executor"))
				}
				app.HTTPTriggers = append(app.HTTPTriggers, h)
				continue
			}
			t := Trigger{Type: typ, ID: id, Component: compRef, Pos: e.pos, Config: map[string]any{}}
			for _, k := range e.keys {
				if k != "id" && k != "component" && k != "components" {
					t.Config[k] = e.fields[k].toAny()
				}
			}
			idx := len(app.Triggers)
			d.triggerComponent(e, ef, where, id, compRef, &inline, func(c string) { app.Triggers[idx].Component = c },
				func(r string, p Position) { refs = append(refs, ref{r, id, p, join(ef, "component")}) })
			if cs := e.get("components"); cs != nil && d.wantKind(cs, join(ef, "components"), kindTable) {
				t.Components = map[string]string{}
				for _, name := range cs.keys {
					v := cs.fields[name]
					name := name
					vf := join(join(ef, "components"), name)
					switch v.kind {
					case kindString:
						t.Components[name] = v.str
						d.checkRef(v, vf)
						refs = append(refs, ref{v.str, id, v.pos, vf})
					case kindTable:
						idx := idx
						inline = append(inline, pendingInline{node: v, field: vf, set: func(c string) { app.Triggers[idx].Components[name] = c }})
					default:
						d.fail(v.pos, vf, ErrInvalidType, "%s: expected a component id or an inline component table, found %s", vf, article(v.kind))
					}
				}
			}
			app.Triggers = append(app.Triggers, t)
		}
	}

	// Inline components get ids as Spin's normalisation gives them:
	// "<trigger id>-component" for a trigger's component, and
	// "inline-component<N>" for entries of a components map.
	for _, p := range inline {
		cid := p.id
		if cid == "" {
			for {
				inlineCounter++
				cid = "inline-component" + strconv.Itoa(inlineCounter)
				if !ids[cid] {
					break
				}
			}
		} else if ids[cid] {
			d.fail(p.node.pos, p.field, ErrDuplicateID, "inline component id %q is already used by a component", cid)
		}
		ids[cid] = true
		app.Components = append(app.Components, d.componentV2(p.node, cid, p.field))
		p.set(cid)
	}
	for _, r := range refs {
		if !ids[r.id] {
			d.fail(r.pos, r.field, ErrMissingComponent, "missing component %q configured for trigger %q", r.id, r.trigger)
		}
	}
}

// triggerComponent handles a trigger's "component" key: a kebab-case
// reference or an inline component table.
func (d *decoder) triggerComponent(e *node, ef, where, triggerID, compRef string, inline *[]pendingInline, set func(string), addRef func(string, Position)) {
	cn := e.get("component")
	switch {
	case cn == nil:
		if e.get("components") == nil {
			d.missing(e, ef, where, "component")
		}
	case cn.kind == kindString:
		if d.checkRef(cn, join(ef, "component")) {
			addRef(compRef, cn.pos)
		}
	case cn.kind == kindTable:
		*inline = append(*inline, pendingInline{node: cn, field: join(ef, "component"), id: triggerID + "-component", set: set})
	default:
		d.fail(cn.pos, join(ef, "component"), ErrInvalidType, "%s: expected a component id or an inline component table, found %s", join(ef, "component"), article(cn.kind))
	}
}

func (d *decoder) checkRef(v *node, field string) bool {
	if msg := checkKebab(v.str); msg != "" {
		d.fail(v.pos, field, ErrInvalidID, "invalid component reference %q: %s", v.str, msg)
		return false
	}
	return true
}
