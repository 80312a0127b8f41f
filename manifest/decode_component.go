package manifest

import (
	"fmt"
	"net/url"
	"strings"
)

// This file decodes the component keys both manifest versions share.

// componentCommon decodes the keys v1 and v2 components share.
// varsKey is "config" (v1) or "variables" (v2).
func (d *decoder) componentCommon(cn *node, field, where string, c *Component, varsKey string) {
	if s := cn.Get("source"); s != nil {
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
			d.fail(nodes[i].Pos, join(field, "key_value_stores"), ErrInvalidID, "invalid store label %q: %s", l, msg)
		}
	}
	c.KeyValueStores = labels
	c.SQLiteDatabases, _ = d.strList(cn, field, "sqlite_databases")
	models, mnodes := d.strList(cn, field, "ai_models")
	if d.spin3 {
		for i, m := range models {
			if msg := checkKebab(m); msg != "" {
				d.fail(mnodes[i].Pos, join(field, "ai_models"), ErrInvalidID, "invalid AI model %q: %s", m, msg)
			}
		}
	}
	c.AIModels = models

	outbound, hasOutbound := []string(nil), cn.Get("allowed_outbound_hosts") != nil
	if hasOutbound {
		outbound, _ = d.strList(cn, field, "allowed_outbound_hosts")
	}
	if hosts, hnodes := d.strList(cn, field, "allowed_http_hosts"); hosts != nil || cn.Get("allowed_http_hosts") != nil {
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
		for _, k := range vn.Keys {
			kn := vn.Fields[k]
			kf := join(join(field, varsKey), k)
			if msg := d.variableName(k); msg != "" {
				d.fail(kn.KeyPos, kf, ErrInvalidID, "invalid variable name %q: %s", k, msg)
			}
			v, ok := vars[k]
			if !ok {
				continue
			}
			parts, err := parseTemplate(v)
			if err != nil {
				d.fail(kn.Pos, kf, ErrInvalidTemplate, "invalid template for %q: %v", k, err)
				continue
			}
			for _, p := range parts {
				if _, declared := d.app.Variables[p.text]; p.isVar && !declared {
					d.fail(kn.Pos, kf, ErrInvalidTemplate, "invalid template for %q: undeclared variable %q", k, p.text)
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
	if b := cn.Get("build"); b != nil {
		c.Build = d.build(b, join(field, "build"))
	}
}

// source decodes a component source: a path, { url, digest } or (v2) a
// registry { registry?, package, version }.
func (d *decoder) source(s *node, field string) Source {
	switch s.Kind {
	case kindString:
		if s.Str == "" {
			d.fail(s.Pos, field, ErrInvalidValue, "source: path must not be empty")
		}
		return Source{Path: s.Str}
	case kindTable:
	default:
		d.fail(s.Pos, field, ErrInvalidType, "%s: expected a string or a table, found %s", field, s.Kind.Article())
		return Source{}
	}
	if d.v2 && s.Get("package") != nil {
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
			d.fail(s.Get("url").Pos, join(field, "url"), ErrInvalidValue, "invalid source URL %q", u)
		case pu.Scheme != "https" && !(d.spin3 && pu.Scheme == "http"):
			d.fail(s.Get("url").Pos, join(field, "url"), ErrInvalidValue, "invalid URL scheme %q in source URL %q: must be HTTPS", pu.Scheme, u)
		}
	}
	if dg, ok := d.reqStr(s, field, "source", "digest"); ok {
		src.Digest = dg
		hexPart, found := strings.CutPrefix(dg, "sha256:")
		if !found || hexPart == "" || strings.Trim(strings.ToLower(hexPart), "0123456789abcdef") != "" {
			d.fail(s.Get("digest").Pos, join(field, "digest"), ErrInvalidValue, "invalid digest %q: must be \"sha256:<hex>\"", dg)
		}
	}
	return src
}

// files decodes a component's files list
// (v1.5.1:crates/loader/src/local/config.rs).
func (d *decoder) files(cn *node, field string, c *Component) {
	fn := cn.Get("files")
	if fn == nil || !d.wantKind(fn, join(field, "files"), kindArray) {
		return
	}
	for i, e := range fn.Arr {
		ef := fmt.Sprintf("%s[%d]", join(field, "files"), i)
		switch e.Kind {
		case kindString:
			if e.Str == "" {
				d.fail(e.Pos, ef, ErrInvalidValue, "files: empty pattern")
				continue
			}
			c.Files = append(c.Files, FileMount{Pattern: e.Str})
		case kindTable:
			d.fields(e, ef, "a files placement", "source", "destination")
			src, ok1 := d.reqStr(e, ef, "a files placement", "source")
			dst, ok2 := d.reqStr(e, ef, "a files placement", "destination")
			if ok1 && (src == "" || isAbsPath(src)) {
				d.fail(e.Get("source").Pos, join(ef, "source"), ErrInvalidValue, "files: source paths must be relative: %q", src)
			}
			if ok2 && !strings.HasPrefix(dst, "/") {
				d.fail(e.Get("destination").Pos, join(ef, "destination"), ErrInvalidValue, "files: guest paths must be absolute: %q", dst)
			}
			c.Files = append(c.Files, FileMount{Source: src, Destination: dst})
		default:
			d.fail(e.Pos, ef, ErrInvalidType, "%s: expected a string or a { source, destination } table, found %s", ef, e.Kind.Article())
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
	switch cmd := b.Get("command"); {
	case cmd == nil:
		d.missing(b, field, where, "command")
	case cmd.Kind == kindArray && d.v2:
		out.Command, _ = d.strList(b, field, "command")
	case cmd.Kind == kindString:
		out.Command = []string{cmd.Str}
	default:
		want := "a string"
		if d.v2 {
			want = "a string or an array of strings"
		}
		d.fail(cmd.Pos, join(field, "command"), ErrInvalidType, "%s: expected %s, found %s", join(field, "command"), want, cmd.Kind.Article())
	}
	out.Workdir, _ = d.str(b, field, "workdir")
	out.Watch, _ = d.strList(b, field, "watch")
	return out
}
