package manifest

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// This file decodes version 1 manifests: the top level, [[component]]
// and its [component.trigger], and the conversion of allowed_http_hosts.

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
	if t := root.Get("trigger"); t == nil {
		d.missing(root, "", where, "trigger")
	} else if d.wantKind(t, "trigger", kindTable) {
		if typ, ok := d.reqStr(t, "trigger", "trigger", "type"); ok {
			triggerType = typ
			settings := map[string]any{}
			for _, k := range t.Keys {
				if k != "type" && !(typ == "http" && k == "base") {
					settings[k] = t.Fields[k].Value()
				}
			}
			app.TriggerSettings = map[string]map[string]any{typ: settings}
			switch typ {
			case "http":
				if t.Get("base") == nil && !d.spin3 {
					d.missing(t, "trigger", "trigger", "base")
				} else if base, ok := d.str(t, "trigger", "base"); ok {
					app.HTTPBase = normaliseBase(base)
				}
			case "redis":
				if !d.spin3 && t.Get("address") == nil {
					d.missing(t, "trigger", "trigger", "address")
				}
			}
		}
	}

	comps := root.Get("component")
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
	for i, cn := range comps.Arr {
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
	c := Component{Pos: cn.Pos}
	id, ok := d.reqStr(cn, field, where, "id")
	if ok {
		if d.spin3 {
			norm, msg := normaliseV1ID(id)
			if msg != "" {
				d.fail(cn.Get("id").Pos, join(field, "id"), ErrInvalidID, "invalid ID %q: %s", id, msg)
			}
			id = norm
		}
		if seen[id] {
			d.fail(cn.Get("id").Pos, join(field, "id"), ErrDuplicateID, "cannot have duplicate component IDs: %s", id)
		}
		seen[id] = true
	}
	c.ID = id
	if cn.Get("source") == nil {
		d.missing(cn, field, where, "source")
	}
	d.componentCommon(cn, field, where, &c, "config")

	if t := cn.Get("trigger"); t == nil {
		d.missing(cn, field, where, "trigger")
	} else if d.wantKind(t, join(field, "trigger"), kindTable) && triggerType != "" {
		tf := join(field, "trigger")
		if triggerType == "http" {
			h := HTTPTrigger{ID: "trigger-" + id, Component: id, Pos: t.Pos, Executor: Executor{Type: ExecutorSpin}}
			if d.spin3 {
				d.fields(t, tf, "[component.trigger]", "route", "executor")
			}
			h.Route, _ = d.reqStr(t, tf, "[component.trigger]", "route")
			if e := t.Get("executor"); e != nil {
				h.Executor = d.executor(e, join(tf, "executor"))
			}
			d.app.HTTPTriggers = append(d.app.HTTPTriggers, h)
		} else {
			d.app.Triggers = append(d.app.Triggers, Trigger{
				Type: triggerType, ID: "trigger-" + id, Component: id,
				Config: t.Value().(map[string]any), Pos: t.Pos,
			})
		}
	}
	d.app.Components = append(d.app.Components, c)
}

// convertHTTPHosts validates v1 allowed_http_hosts as Spin 1.5.1 does
// (v1.5.1:crates/outbound-http/src/allowed_http_hosts.rs) and converts
// them to allowed_outbound_hosts as Spin 3 does
// (v3.1.2:crates/manifest/src/compat.rs).
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
				d.fail(nodes[i].Pos, field, ErrInvalidValue, "allowed_http_hosts: %s isn't a valid host or host:port string", h)
			case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
				d.fail(nodes[i].Pos, field, ErrInvalidValue, "allowed_http_hosts: %s contains a path, should be host and optional port only", h)
			default:
				out = append(out, u.Scheme+"://"+u.Host)
			}
			continue
		}
		u, err := url.Parse("http://" + h)
		switch {
		case err != nil || u.Host == "" || u.User != nil:
			d.fail(nodes[i].Pos, field, ErrInvalidValue, "allowed_http_hosts: %s isn't a valid host or host:port string", h)
		case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
			d.fail(nodes[i].Pos, field, ErrInvalidValue, "allowed_http_hosts: %s contains a path, should be host and optional port only", h)
		default:
			out = append(out, "http://"+u.Host, "https://"+u.Host)
		}
	}
	return out
}
