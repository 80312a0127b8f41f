package manifest

import (
	"fmt"
	"strconv"
)

// This file decodes triggers: the HTTP executor shared by both versions,
// and version 2's [[trigger.<type>]] tables with their inline components.

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
