package manifest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// templatePart is literal text or, when isVar, a variable name.
type templatePart struct {
	text  string
	isVar bool
}

// parseTemplate splits a Spin template ("literal {{ name }} literal")
// into parts. Whitespace inside the braces is trimmed. An unmatched "{{"
// is an error, as in Spin; a lone "}}" is literal text.
func parseTemplate(s string) ([]templatePart, error) {
	var parts []templatePart
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			parts = append(parts, templatePart{text: s})
			break
		}
		if i > 0 {
			parts = append(parts, templatePart{text: s[:i]})
		}
		s = s[i+2:]
		j := strings.Index(s, "}}")
		if j < 0 {
			return nil, errors.New("unmatched '{{' in template")
		}
		parts = append(parts, templatePart{text: strings.TrimSpace(s[:j]), isVar: true})
		s = s[j+2:]
	}
	return parts, nil
}

// ResolveVariables renders the variable templates of the component with
// the given id (v1 [component.config], v2 [component.<id>.variables])
// and returns them by key.
//
// Each {{ name }} is replaced by lookup(name) when it reports a value,
// else by the variable's default. lookup gets the variable name as
// declared (lower case); a runner typically reads the environment
// variable SPIN_VARIABLE_<NAME> or, as Spin 1.x did, SPIN_CONFIG_<NAME>.
// lookup may be nil (defaults only). Every failure is reported, joined:
// a required variable with no value wraps ErrUnresolvedVariable, an
// undeclared variable or an unmatched "{{" wraps ErrInvalidTemplate; each
// names the key and variable. An unknown component id wraps
// ErrUnknownComponent.
func (a *App) ResolveVariables(componentID string, lookup func(name string) (string, bool)) (map[string]string, error) {
	c, ok := a.Component(componentID)
	if !ok {
		return nil, fmt.Errorf("manifest: resolve variables of %q: %w", componentID, ErrUnknownComponent)
	}
	keys := slices.Sorted(maps.Keys(c.Variables))
	out := make(map[string]string, len(keys))
	var errs []error
	cache := map[string]string{}
	for _, key := range keys {
		parts, err := parseTemplate(c.Variables[key])
		if err != nil {
			errs = append(errs, fmt.Errorf("manifest: component %q variable %q: %w", componentID, key, &problem{kind: ErrInvalidTemplate, msg: err.Error()}))
			continue
		}
		var b strings.Builder
		failed := false
		for _, p := range parts {
			if !p.isVar {
				b.WriteString(p.text)
				continue
			}
			v, err := a.variable(p.text, lookup, cache)
			if err != nil {
				errs = append(errs, fmt.Errorf("manifest: component %q variable %q: %w", componentID, key, err))
				failed = true
				continue
			}
			b.WriteString(v)
		}
		if !failed {
			out[key] = b.String()
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (a *App) variable(name string, lookup func(string) (string, bool), cache map[string]string) (string, error) {
	if v, ok := cache[name]; ok {
		return v, nil
	}
	decl, ok := a.Variables[name]
	if !ok {
		return "", &problem{kind: ErrInvalidTemplate, msg: fmt.Sprintf("undeclared variable %q", name)}
	}
	if lookup != nil {
		if v, ok := lookup(name); ok {
			cache[name] = v
			return v, nil
		}
	}
	if decl.HasDefault {
		cache[name] = decl.Default
		return decl.Default, nil
	}
	return "", &problem{kind: ErrUnresolvedVariable, msg: fmt.Sprintf("no value for required variable %q", name)}
}
