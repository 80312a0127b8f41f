package manifest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/spindlekv/spindle/manifest"
)

// requireCorpusEnv, set to 1, makes a missing corpus fail the corpus
// tests instead of skipping them. .ci/run sets it; CI=true does not count,
// since every GitHub Actions run sets CI=true, fresh clones included.
const requireCorpusEnv = "SPINDLE_REQUIRE_CORPUS"

// corpusDir finds shared/corpus/manifests (the shared corpus beside the
// repository) by walking up from the package directory. It skips the
// test when the corpus is absent, unless SPINDLE_REQUIRE_CORPUS=1.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		c := filepath.Join(dir, "shared", "corpus", "manifests")
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv(requireCorpusEnv) == "1" {
		t.Fatal("manifest corpus (shared/corpus/manifests beside the repository) not found; it is required under " + requireCorpusEnv + "=1")
	}
	t.Skip("SKIP: manifest corpus (shared/corpus/manifests beside the repository) not found")
	return ""
}

func globT(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no corpus files match %s", pattern)
	}
	return files
}

func parseFile(t *testing.T, path string, rules manifest.Rules) (*manifest.App, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return manifest.Parse(data, &manifest.Options{File: filepath.Base(path), V1Rules: rules})
}

// expectedFailure says why a real Spin manifest is expected not to load,
// by reading its text independently of the parser; nil means it must
// load.
func expectedFailure(folder, name string, text string) error {
	switch {
	// Spin templates with a placeholder in a table header are not TOML.
	case regexp.MustCompile(`(?m)^\[[^\]\n]*\{\{`).MatchString(text):
		return manifest.ErrSyntax
	// Spin 1.5.1 requires [[component]]; this template and the
	// deliberately broken "error" test app have none.
	case folder == "spin-v1.5.1" && !strings.Contains(text, "[[component]]"):
		return manifest.ErrMissingField
	// A v2 template with no [[trigger.*]] yet: trigger is required.
	case folder == "spin-v3" && strings.Contains(text, "spin_manifest_version = 2") && !strings.Contains(text, "[[trigger."):
		return manifest.ErrMissingField
	}
	return nil
}

func TestCorpusSpinManifests(t *testing.T) {
	root := corpusDir(t)
	for _, folder := range []string{"spin-v1.5.1", "spin-v3"} {
		rules := manifest.Spin1
		if folder == "spin-v3" {
			rules = manifest.Spin3
		}
		t.Run(folder, func(t *testing.T) {
			for _, path := range globT(t, filepath.Join(root, folder, "*.toml")) {
				name := filepath.Base(path)
				t.Run(name, func(t *testing.T) {
					data, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					app, err := parseFile(t, path, rules)
					if want := expectedFailure(folder, name, string(data)); want != nil {
						if !errors.Is(err, want) {
							t.Fatalf("got error %v, want one wrapping %v", err, want)
						}
						return
					}
					if err != nil {
						t.Fatalf("Parse: %v", err)
					}
					checkAgainstRawTOML(t, data, app)
				})
			}
		})
	}
}

// rawView is what a plain TOML decode says about a manifest: component
// ids, HTTP routes by component, and store labels by component.
type rawView struct {
	ids    []string
	routes map[string][]string
	stores map[string][]string
}

func readRaw(t *testing.T, data []byte) rawView {
	t.Helper()
	var m map[string]any
	if err := toml.Unmarshal(data, &m); err != nil {
		t.Fatalf("raw decode: %v", err)
	}
	v := rawView{routes: map[string][]string{}, stores: map[string][]string{}}
	strs := func(x any) []string {
		var out []string
		for _, e := range asSlice(x) {
			out = append(out, e.(string))
		}
		return out
	}
	if m["spin_manifest_version"] == int64(2) {
		comps, _ := m["component"].(map[string]any)
		for id, c := range comps {
			v.ids = append(v.ids, id)
			if s := strs(c.(map[string]any)["key_value_stores"]); s != nil {
				v.stores[id] = s
			}
		}
		triggers, _ := m["trigger"].(map[string]any)
		for _, tr := range asSlice(triggers["http"]) {
			tm := tr.(map[string]any)
			if id, ok := tm["component"].(string); ok {
				if r, ok := tm["route"].(string); ok {
					v.routes[id] = append(v.routes[id], r)
				}
			}
		}
	} else {
		httpApp := false
		if tr, ok := m["trigger"].(map[string]any); ok && tr["type"] == "http" {
			httpApp = true
		}
		for _, c := range asSlice(m["component"]) {
			cm := c.(map[string]any)
			id := cm["id"].(string)
			v.ids = append(v.ids, id)
			if s := strs(cm["key_value_stores"]); s != nil {
				v.stores[id] = s
			}
			if tr, ok := cm["trigger"].(map[string]any); ok && httpApp {
				v.routes[id] = append(v.routes[id], tr["route"].(string))
			}
		}
	}
	sort.Strings(v.ids)
	return v
}

func asSlice(x any) []any {
	switch s := x.(type) {
	case []any:
		return s
	case []map[string]any:
		out := make([]any, len(s))
		for i := range s {
			out[i] = s[i]
		}
		return out
	}
	return nil
}

func checkAgainstRawTOML(t *testing.T, data []byte, app *manifest.App) {
	t.Helper()
	raw := readRaw(t, data)
	var ids []string
	stores := map[string][]string{}
	for _, c := range app.Components {
		ids = append(ids, c.ID)
		if len(c.KeyValueStores) > 0 {
			stores[c.ID] = c.KeyValueStores
		}
	}
	sort.Strings(ids)
	// Inline trigger components exist only in the model.
	var inline []string
	for _, id := range ids {
		if !slices.Contains(raw.ids, id) {
			inline = append(inline, id)
		}
	}
	for _, id := range raw.ids {
		if !slices.Contains(ids, id) {
			t.Errorf("component %q in the TOML is missing from the model (model ids %v)", id, ids)
		}
	}
	for _, id := range inline {
		if !strings.HasSuffix(id, "-component") && !strings.HasPrefix(id, "inline-component") {
			t.Errorf("model has component %q that the TOML does not declare", id)
		}
	}
	routes := map[string][]string{}
	for _, h := range app.HTTPTriggers {
		if !h.Private && !slices.Contains(inline, h.Component) {
			routes[h.Component] = append(routes[h.Component], h.Route)
		}
	}
	if !reflect.DeepEqual(routes, raw.routes) {
		t.Errorf("routes by component = %v, TOML says %v", routes, raw.routes)
	}
	for id := range stores {
		if slices.Contains(inline, id) {
			delete(stores, id)
		}
	}
	if !reflect.DeepEqual(stores, raw.stores) {
		t.Errorf("key_value_stores by component = %v, TOML says %v", stores, raw.stores)
	}
}

// TestCorpusUIInvalid checks that each of Spin's invalid manifests fails
// with the problem (and, where Spin gives one, the position) its .err
// file names.
func TestCorpusUIInvalid(t *testing.T) {
	root := corpusDir(t)
	posRE := regexp.MustCompile(`line (\d+), column (\d+)`)
	for _, path := range globT(t, filepath.Join(root, "spin-manifest-ui", "invalid", "*.toml")) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(path, ".toml") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(want)), "\n")
			msg := strings.ReplaceAll(lines[len(lines)-1], "`", `"`)
			_, err = parseFile(t, path, manifest.Spin3)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error like %q", msg)
			}
			// The error naming Spin's problem must be a *manifest.Error at
			// Spin's position, when Spin gives one.
			var found *manifest.Error
			for _, e := range flatten(err) {
				var me *manifest.Error
				if errors.As(e, &me) && strings.Contains(me.Error(), msg) {
					found = me
					break
				}
			}
			if found == nil {
				t.Fatalf("no *manifest.Error names the problem %q; got:\n%v", msg, err)
			}
			if m := posRE.FindStringSubmatch(string(want)); m != nil {
				line, _ := strconv.Atoi(m[1])
				col, _ := strconv.Atoi(m[2])
				if found.Line != line || found.Column != col {
					t.Errorf("%v: at %d:%d, Spin reports %d:%d", found, found.Line, found.Column, line, col)
				}
			}
		})
	}
}

// TestCorpusUIJSON compares each of Spin's manifest test inputs with the
// JSON form Spin parses it to.
func TestCorpusUIJSON(t *testing.T) {
	root := corpusDir(t)
	files := append(globT(t, filepath.Join(root, "spin-manifest-ui", "*.json")),
		globT(t, filepath.Join(root, "spin-manifest-ui", "v1", "*.json"))...)
	for _, jsonPath := range files {
		rel, _ := filepath.Rel(filepath.Join(root, "spin-manifest-ui"), jsonPath)
		t.Run(rel, func(t *testing.T) {
			tomlPath := strings.TrimSuffix(jsonPath, ".json") + ".toml"
			data, err := os.ReadFile(tomlPath)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(tomlPath, "normalization.toml") {
				// Spin's manifest layer leaves HTTP trigger settings to
				// the trigger; Spindle checks them at parse time, so the
				// routes this test input omits are added.
				data = addRoutes(data)
			}
			app, err := manifest.Parse(data, &manifest.Options{File: filepath.Base(tomlPath), V1Rules: manifest.Spin3})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var want spinJSON
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			compareJSON(t, app, &want)
		})
	}
}

func addRoutes(data []byte) []byte {
	n := 0
	return regexp.MustCompile(`(?m)^\[\[trigger\.http\]\]$`).ReplaceAllFunc(data, func(b []byte) []byte {
		n++
		return []byte("[[trigger.http]]\nroute = \"/r" + strconv.Itoa(n) + "\"")
	})
}

type spinJSON struct {
	Application struct {
		Name        string                    `json:"name"`
		Version     string                    `json:"version"`
		Description string                    `json:"description"`
		Authors     []string                  `json:"authors"`
		Trigger     map[string]map[string]any `json:"trigger"`
	} `json:"application"`
	Variables map[string]struct {
		Default  *string `json:"default"`
		Required bool    `json:"required"`
		Secret   bool    `json:"secret"`
	} `json:"variables"`
	Trigger   map[string][]map[string]any `json:"trigger"`
	Component map[string]struct {
		Source               any               `json:"source"`
		Description          string            `json:"description"`
		Environment          map[string]string `json:"environment"`
		Files                []any             `json:"files"`
		ExcludeFiles         []string          `json:"exclude_files"`
		AllowedOutboundHosts []string          `json:"allowed_outbound_hosts"`
		KeyValueStores       []string          `json:"key_value_stores"`
		SQLiteDatabases      []string          `json:"sqlite_databases"`
		AIModels             []string          `json:"ai_models"`
		Build                *struct {
			Command string   `json:"command"`
			Workdir string   `json:"workdir"`
			Watch   []string `json:"watch"`
		} `json:"build"`
	} `json:"component"`
}

func compareJSON(t *testing.T, app *manifest.App, want *spinJSON) {
	t.Helper()
	a := want.Application
	if app.Name != a.Name || app.Version != a.Version || app.Description != a.Description || !equalStrings(app.Authors, a.Authors) {
		t.Errorf("application = %q %q %q %v, Spin says %q %q %q %v", app.Name, app.Version, app.Description, app.Authors, a.Name, a.Version, a.Description, a.Authors)
	}
	for typ, settings := range a.Trigger {
		got, _ := json.Marshal(app.TriggerSettings[typ])
		exp, _ := json.Marshal(settings)
		if string(got) != string(exp) {
			t.Errorf("application trigger %s settings = %s, Spin says %s", typ, got, exp)
		}
	}
	if len(app.Variables) != len(want.Variables) {
		t.Errorf("variables = %v, Spin says %v", app.Variables, want.Variables)
	}
	for name, w := range want.Variables {
		v, ok := app.Variables[name]
		if !ok || v.Required != w.Required || v.Secret != w.Secret || v.HasDefault != (w.Default != nil) || w.Default != nil && v.Default != *w.Default {
			t.Errorf("variable %s = %+v, Spin says %+v", name, v, w)
		}
	}
	for id, w := range want.Component {
		c, ok := app.Component(id)
		if !ok {
			t.Errorf("component %q missing", id)
			continue
		}
		switch s := w.Source.(type) {
		case string:
			if c.Source.Path != s {
				t.Errorf("component %s source = %+v, Spin says %q", id, c.Source, s)
			}
		case map[string]any:
			if c.Source.URL != s["url"] || c.Source.Digest != s["digest"] {
				t.Errorf("component %s source = %+v, Spin says %v", id, c.Source, s)
			}
		}
		if c.Description != w.Description || len(c.Files) != len(w.Files) || !equalStrings(c.ExcludeFiles, w.ExcludeFiles) ||
			!equalStrings(c.KeyValueStores, w.KeyValueStores) || !equalStrings(c.SQLiteDatabases, w.SQLiteDatabases) ||
			!equalStrings(c.AIModels, w.AIModels) || !equalStrings(c.AllowedOutboundHosts, w.AllowedOutboundHosts) ||
			len(c.Environment) != len(w.Environment) {
			t.Errorf("component %s = %+v, Spin says %+v", id, *c, w)
		}
		if (c.Build == nil) != (w.Build == nil) || c.Build != nil && (!equalStrings(c.Build.Command, []string{w.Build.Command}) || c.Build.Workdir != w.Build.Workdir || !equalStrings(c.Build.Watch, w.Build.Watch)) {
			t.Errorf("component %s build = %+v, Spin says %+v", id, c.Build, w.Build)
		}
	}
	// Triggers: the same number per type, and each one's component
	// reference (or inline component) and settings.
	counts := map[string]int{}
	for range app.HTTPTriggers {
		counts["http"]++
	}
	for _, tr := range app.Triggers {
		counts[tr.Type]++
	}
	for typ, list := range want.Trigger {
		if counts[typ] != len(list) {
			t.Errorf("%d %s triggers, Spin says %d", counts[typ], typ, len(list))
			continue
		}
		i := 0
		for _, tr := range app.Triggers {
			if tr.Type != typ {
				continue
			}
			w := list[i]
			i++
			if id, ok := w["id"].(string); ok && tr.ID != id {
				t.Errorf("%s trigger %d id = %q, Spin says %q", typ, i, tr.ID, id)
			}
			switch ref := w["component"].(type) {
			case string:
				if tr.Component != ref {
					t.Errorf("%s trigger %d component = %q, Spin says %q", typ, i, tr.Component, ref)
				}
			case map[string]any:
				c, ok := app.Component(tr.Component)
				if !ok || c.Source.Path != ref["source"] {
					t.Errorf("%s trigger %d inline component = %q (%v), Spin says %v", typ, i, tr.Component, c, ref)
				}
			}
			for k, v := range w {
				if k == "id" || k == "component" || k == "components" {
					continue
				}
				if !reflect.DeepEqual(tr.Config[k], v) {
					t.Errorf("%s trigger %d config %s = %v, Spin says %v", typ, i, k, tr.Config[k], v)
				}
			}
		}
	}
}

func equalStrings(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// TestCorpusUIV1Conversion checks that each v1 manifest loads (with the
// Spin3 rules) to the same model as the v2 manifest Spin converts it to.
func TestCorpusUIV1Conversion(t *testing.T) {
	root := corpusDir(t)
	for _, v2Path := range globT(t, filepath.Join(root, "spin-manifest-ui", "v1", "*.toml.v2")) {
		t.Run(filepath.Base(v2Path), func(t *testing.T) {
			v1, err := parseFile(t, strings.TrimSuffix(v2Path, ".v2"), manifest.Spin3)
			if err != nil {
				t.Fatalf("v1: %v", err)
			}
			v2, err := parseFile(t, v2Path, manifest.Spin3)
			if err != nil {
				t.Fatalf("v2: %v", err)
			}
			if v1.ManifestVersion != 1 || v2.ManifestVersion != 2 {
				t.Fatalf("versions %d and %d, want 1 and 2", v1.ManifestVersion, v2.ManifestVersion)
			}
			// Compared as JSON: the exported model, not the file name
			// each App keeps for its errors.
			g, _ := json.MarshalIndent(comparable(v1), "", "  ")
			w, _ := json.MarshalIndent(comparable(v2), "", "  ")
			if string(g) != string(w) {
				t.Errorf("v1 model:\n%s\nv2 model:\n%s", g, w)
			}
		})
	}
}

// comparable drops what differs between the versions by nature: the
// version number and source positions.
func comparable(app *manifest.App) manifest.App {
	a := *app
	a.ManifestVersion = 0
	a.Components = slices.Clone(a.Components)
	for i := range a.Components {
		a.Components[i].Pos = manifest.Position{}
	}
	a.HTTPTriggers = slices.Clone(a.HTTPTriggers)
	for i := range a.HTTPTriggers {
		a.HTTPTriggers[i].Pos = manifest.Position{}
	}
	a.Triggers = slices.Clone(a.Triggers)
	for i := range a.Triggers {
		a.Triggers[i].Pos = manifest.Position{}
	}
	vars := map[string]manifest.Variable{}
	for k, v := range a.Variables {
		v.Pos = manifest.Position{}
		vars[k] = v
	}
	a.Variables = vars
	return a
}

// TestCorpusUINormalization checks generated trigger and inline component
// ids against Spin's normalised manifest.
func TestCorpusUINormalization(t *testing.T) {
	root := corpusDir(t)
	src := filepath.Join(root, "spin-manifest-ui", "normalization.toml")
	in, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := os.ReadFile(src + ".norm")
	if err != nil {
		t.Fatal(err)
	}
	a, err := manifest.Parse(addRoutes(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := manifest.Parse(addRoutes(norm), nil)
	if err != nil {
		t.Fatal(err)
	}
	ga, gb := comparable(a), comparable(b)
	sortComponents := func(app *manifest.App) {
		sort.Slice(app.Components, func(i, j int) bool { return app.Components[i].ID < app.Components[j].ID })
	}
	sortComponents(&ga)
	sortComponents(&gb)
	if !reflect.DeepEqual(ga, gb) {
		g, _ := json.MarshalIndent(ga, "", "  ")
		w, _ := json.MarshalIndent(gb, "", "  ")
		t.Errorf("normalised model:\n%s\nSpin's normalised manifest:\n%s", g, w)
	}
}
