package manifest

import (
	"fmt"
	"strconv"
)

// This file decodes triggers: the HTTP executor shared by both versions,
// and version 2's [[trigger.<type>]] tables with their inline components.

// executor decodes an HTTP executor table (v1.5.1:crates/manifest/src/lib.rs,
// HttpExecutor and WagiConfig; v3.1.2:crates/http/src/config.rs).
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
	d.fail(e.Get("type").Pos, join(field, "type"), ErrInvalidValue, "unknown executor type %q (want %s)", typ, want)
	return Executor{Type: ExecutorSpin}
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
	for _, typ := range tt.Keys {
		if arr := tt.Fields[typ]; arr.Kind == kindArray {
			for _, e := range arr.Arr {
				if e.Kind == kindTable && e.Get("id") != nil && e.Get("id").Kind == kindString {
					id := e.Get("id")
					if triggerIDs[id.Str] {
						d.fail(id.Pos, join(join("trigger", typ), "id"), ErrDuplicateID, "duplicate trigger id %q", id.Str)
					}
					triggerIDs[id.Str] = true
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
		Pos         Position
		field       string
	}
	var refs []ref

	for _, typ := range tt.Keys {
		arr := tt.Fields[typ]
		tf := join("trigger", typ)
		if !d.wantKind(arr, tf, kindArray) {
			continue
		}
		counter := 0
		for i, e := range arr.Arr {
			ef := fmt.Sprintf("%s[%d]", tf, i)
			if !d.wantKind(e, ef, kindTable) {
				continue
			}
			where := "[[trigger." + typ + "]]"
			id, hasID := d.str(e, ef, "id")
			cn := e.Get("component")
			compRef := ""
			if cn != nil && cn.Kind == kindString {
				compRef = cn.Str
			}
			if !hasID {
				if compRef != "" {
					id = unique(compRef+"-"+typ+"-trigger", false, &counter)
				} else {
					id = unique(typ+"-trigger", true, &counter)
				}
			}
			if typ == "http" {
				h := HTTPTrigger{ID: id, Component: compRef, Pos: e.Pos, Executor: Executor{Type: ExecutorSpin}}
				d.fields(e, ef, where, "id", "component", "route", "executor")
				idx := len(app.HTTPTriggers)
				d.triggerComponent(e, ef, where, id, compRef, &inline, func(c string) { app.HTTPTriggers[idx].Component = c },
					func(r string, p Position) { refs = append(refs, ref{r, id, p, join(ef, "component")}) })
				switch r := e.Get("route"); {
				case r == nil:
					d.missing(e, ef, where, "route")
				case r.Kind == kindString:
					h.Route = r.Str
				case r.Kind == kindTable:
					d.fields(r, join(ef, "route"), "route", "private")
					if p, ok := d.boolean(r, join(ef, "route"), "private"); !ok || !p {
						d.fail(r.Pos, join(ef, "route"), ErrInvalidValue, "route must be a string pattern or '{ private = true }'")
					}
					h.Private = true
				default:
					d.fail(r.Pos, join(ef, "route"), ErrInvalidType, "route must be a string pattern or '{ private = true }'")
				}
				if x := e.Get("executor"); x != nil {
					h.Executor = d.executor(x, join(ef, "executor"))
				}
				app.HTTPTriggers = append(app.HTTPTriggers, h)
				continue
			}
			t := Trigger{Type: typ, ID: id, Component: compRef, Pos: e.Pos, Config: map[string]any{}}
			for _, k := range e.Keys {
				if k != "id" && k != "component" && k != "components" {
					t.Config[k] = e.Fields[k].Value()
				}
			}
			idx := len(app.Triggers)
			d.triggerComponent(e, ef, where, id, compRef, &inline, func(c string) { app.Triggers[idx].Component = c },
				func(r string, p Position) { refs = append(refs, ref{r, id, p, join(ef, "component")}) })
			if cs := e.Get("components"); cs != nil && d.wantKind(cs, join(ef, "components"), kindTable) {
				t.Components = map[string]string{}
				for _, name := range cs.Keys {
					v := cs.Fields[name]
					vf := join(join(ef, "components"), name)
					switch v.Kind {
					case kindString:
						t.Components[name] = v.Str
						d.checkRef(v, vf)
						refs = append(refs, ref{v.Str, id, v.Pos, vf})
					case kindTable:
						inline = append(inline, pendingInline{node: v, field: vf, set: func(c string) { app.Triggers[idx].Components[name] = c }})
					default:
						d.fail(v.Pos, vf, ErrInvalidType, "%s: expected a component id or an inline component table, found %s", vf, v.Kind.Article())
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
			d.fail(p.node.Pos, p.field, ErrDuplicateID, "inline component id %q is already used by a component", cid)
		}
		ids[cid] = true
		app.Components = append(app.Components, d.componentV2(p.node, cid, p.field))
		p.set(cid)
	}
	for _, r := range refs {
		if !ids[r.id] {
			d.fail(r.Pos, r.field, ErrMissingComponent, "missing component %q configured for trigger %q", r.id, r.trigger)
		}
	}
}

// triggerComponent handles a trigger's "component" key: a kebab-case
// reference or an inline component table.
func (d *decoder) triggerComponent(e *node, ef, where, triggerID, compRef string, inline *[]pendingInline, set func(string), addRef func(string, Position)) {
	cn := e.Get("component")
	switch {
	case cn == nil:
		if e.Get("components") == nil {
			d.missing(e, ef, where, "component")
		}
	case cn.Kind == kindString:
		if d.checkRef(cn, join(ef, "component")) {
			addRef(compRef, cn.Pos)
		}
	case cn.Kind == kindTable:
		*inline = append(*inline, pendingInline{node: cn, field: join(ef, "component"), id: triggerID + "-component", set: set})
	default:
		d.fail(cn.Pos, join(ef, "component"), ErrInvalidType, "%s: expected a component id or an inline component table, found %s", join(ef, "component"), cn.Kind.Article())
	}
}

func (d *decoder) checkRef(v *node, field string) bool {
	if msg := checkKebab(v.Str); msg != "" {
		d.fail(v.Pos, field, ErrInvalidID, "invalid component reference %q: %s", v.Str, msg)
		return false
	}
	return true
}
