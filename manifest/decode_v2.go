package manifest

// This file decodes the top level and [component.<id>] tables of version
// 2 manifests.

func (d *decoder) decodeV2(root *node) {
	app := d.app
	d.fields(root, "", "the manifest", "spin_manifest_version", "spin_version", "application", "variables", "trigger", "component")
	if a := root.Get("application"); a == nil {
		d.missing(root, "", "the manifest", "application")
	} else if d.wantKind(a, "application", kindTable) {
		const where = "[application]"
		d.fields(a, "application", where, "name", "version", "description", "authors", "trigger", "tool")
		app.Name, _ = d.reqStr(a, "application", where, "name")
		app.Version, _ = d.str(a, "application", "version")
		app.Description, _ = d.str(a, "application", "description")
		app.Authors, _ = d.strList(a, "application", "authors")
		if t := a.Get("trigger"); t != nil && d.wantKind(t, "application.trigger", kindTable) {
			app.TriggerSettings = map[string]map[string]any{}
			for _, typ := range t.Keys {
				tn := t.Fields[typ]
				tf := join("application.trigger", typ)
				if !d.wantKind(tn, tf, kindTable) {
					continue
				}
				settings := map[string]any{}
				for _, k := range tn.Keys {
					if typ == "http" && k == "base" {
						if base, ok := d.str(tn, tf, "base"); ok {
							app.HTTPBase = normaliseBase(base)
						}
						continue
					}
					settings[k] = tn.Fields[k].Value()
				}
				app.TriggerSettings[typ] = settings
			}
		}
		if t := a.Get("tool"); t != nil {
			d.wantKind(t, "application.tool", kindTable)
		}
	}
	app.Variables = d.variables(root)

	ids := map[string]bool{}
	if ct := root.Get("component"); ct != nil && d.wantKind(ct, "component", kindTable) {
		for _, id := range ct.Keys {
			cn := ct.Fields[id]
			field := join("component", id)
			if msg := checkKebab(id); msg != "" {
				d.fail(cn.KeyPos, field, ErrInvalidID, "invalid component id %q: %s", id, msg)
			}
			ids[id] = true
			if !d.wantKind(cn, field, kindTable) {
				continue
			}
			app.Components = append(app.Components, d.componentV2(cn, id, field))
		}
	}

	tt := root.Get("trigger")
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
	c := Component{ID: id, Pos: cn.Pos}
	if cn.Get("source") == nil {
		d.missing(cn, field, where, "source")
	}
	d.componentCommon(cn, field, where, &c, "variables")
	if t := cn.Get("tool"); t != nil {
		d.wantKind(t, join(field, "tool"), kindTable)
	}
	if t := cn.Get("dependencies"); t != nil {
		d.wantKind(t, join(field, "dependencies"), kindTable)
	}
	d.boolean(cn, field, "dependencies_inherit_configuration")
	return c
}
