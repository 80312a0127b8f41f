package runtimeconfig_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/kv/runtimeconfig"
	"github.com/spindlekv/spindle/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestParse(t *testing.T) {
	dir := t.TempDir()
	data := `
state_dir = ".spin-state"
log_dir = "logs"

[key_value_store.default]
type = "spin"
path = "data/kv.db"

[key_value_store.abs]
type = "spin"
path = "/var/lib/kv.db"

[key_value_store.mem]
type = "spin"

[key_value_store.cache]
type = "redis"
url = "redis://localhost:6379/2"
key_prefix = "cache:"

[key_value_store."with space"]
type = "redis"
url = "redis://localhost:6379"

[sqlite_database.default]
type = "spin"

[[config_provider]]
type = "vault"
`
	c, err := runtimeconfig.Parse([]byte(data), dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != dir || c.StateDir != ".spin-state" || !c.HasStateDir {
		t.Errorf("Dir, StateDir, HasStateDir = %q, %q, %v", c.Dir, c.StateDir, c.HasStateDir)
	}
	want := map[string]runtimeconfig.KeyValueStore{
		"default":    {Label: "default", Type: "spin", Path: filepath.Join(dir, "data", "kv.db"), Pos: runtimeconfig.Position{Line: 5, Column: 2}},
		"abs":        {Label: "abs", Type: "spin", Path: "/var/lib/kv.db", Pos: runtimeconfig.Position{Line: 9, Column: 2}},
		"mem":        {Label: "mem", Type: "spin", Pos: runtimeconfig.Position{Line: 13, Column: 2}},
		"cache":      {Label: "cache", Type: "redis", URL: "redis://localhost:6379/2", KeyPrefix: "cache:", Pos: runtimeconfig.Position{Line: 16, Column: 2}},
		"with space": {Label: "with space", Type: "redis", URL: "redis://localhost:6379", Pos: runtimeconfig.Position{Line: 21, Column: 2}},
	}
	if len(c.KeyValueStores) != len(want) {
		t.Errorf("got %d stores, want %d", len(c.KeyValueStores), len(want))
	}
	for label, w := range want {
		if got := c.KeyValueStores[label]; got != w {
			t.Errorf("store %q = %+v, want %+v", label, got, w)
		}
	}
	var ignored []string
	for _, ig := range c.Ignored {
		ignored = append(ignored, ig.Section+"@"+ig.Pos.String())
	}
	if got := strings.Join(ignored, " "); got != "log_dir@3:1 sqlite_database@25:2 config_provider@28:3" {
		t.Errorf("Ignored = %s", got)
	}
}

func TestParseStateDir(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantDir string
		wantSet bool
	}{
		{name: "absent", data: "", wantDir: "", wantSet: false},
		{name: "empty means unset", data: `state_dir = ""`, wantDir: "", wantSet: true},
		{name: "relative kept as written", data: `state_dir = "st"`, wantDir: "st", wantSet: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := runtimeconfig.Parse([]byte(tt.data), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if c.StateDir != tt.wantDir || c.HasStateDir != tt.wantSet {
				t.Errorf("StateDir, HasStateDir = %q, %v; want %q, %v", c.StateDir, c.HasStateDir, tt.wantDir, tt.wantSet)
			}
		})
	}
}

// TestParseErrors checks every rejected input against the golden file
// testdata/errors.golden (go test -run TestParseErrors -update rewrites
// it). Every message must carry a line and column.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{name: "syntax", data: "[key_value_store.default\ntype = \"spin\"\n"},
		{name: "unknown type", data: "[key_value_store.default]\ntype = \"postgres\"\n"},
		{name: "unsupported Spin type", data: "\n[key_value_store.cosmos]\ntype = \"azure_cosmos\"\nkey = \"k\"\n"},
		{name: "missing type", data: "[key_value_store.x]\npath = \"a.db\"\n"},
		{name: "type not a string", data: "[key_value_store.x]\ntype = 3\n"},
		{name: "unknown spin field", data: "[key_value_store.x]\ntype = \"spin\"\n  paht = \"a.db\"\n"},
		{name: "redis field on spin", data: "[key_value_store.x]\ntype = \"spin\"\nurl = \"redis://h\"\n"},
		{name: "empty path", data: "[key_value_store.x]\ntype = \"spin\"\npath = \"\"\n"},
		{name: "path not a string", data: "[key_value_store.x]\ntype = \"spin\"\npath = true\n"},
		{name: "redis without url", data: "[key_value_store.r]\ntype = \"redis\"\n"},
		{name: "redis bad url", data: "[key_value_store.r]\ntype = \"redis\"\nurl = \"http://user:secret@h\"\n"},
		{name: "redis unparsable url", data: "[key_value_store.r]\ntype = \"redis\"\nurl = \"redis://u:secret@h:x/0\"\n"},
		{name: "redis empty url", data: "[key_value_store.r]\ntype = \"redis\"\nurl = \"\"\n"},
		{name: "key_prefix not a string", data: "[key_value_store.r]\ntype = \"redis\"\nurl = \"redis://h\"\nkey_prefix = 1\n"},
		{name: "store not a table", data: "key_value_store = 1\n"},
		{name: "label not a table", data: "[key_value_store]\ndefault = \"spin\"\n"},
		{name: "inline table", data: "key_value_store = { x = { type = \"nope\" } }\n"},
		{name: "dotted keys", data: "key_value_store.x.type = \"spin\"\nkey_value_store.x.color = \"red\"\n"},
		{name: "typo top level", data: "[key_value_stores.default]\ntype = \"spin\"\n"},
		{name: "state_dir not a string", data: "state_dir = 1\n"},
		{name: "several problems", data: "bogus = 1\n[key_value_store.a]\ntype = \"x\"\n[key_value_store.b]\ntype = \"redis\"\n"},
	}
	var golden strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runtimeconfig.Parse([]byte(tt.data), "/app")
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !errors.Is(err, runtimeconfig.ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			var perr *runtimeconfig.Error
			if !errors.As(err, &perr) || perr.Line < 1 || perr.Column < 1 {
				t.Errorf("error %v has no *Error with a position", err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q repeats a password from the URL", err)
			}
			golden.WriteString("== " + tt.name + "\n" + err.Error() + "\n")
		})
	}
	path := filepath.Join("testdata", "errors.golden")
	if *update {
		if err := os.WriteFile(path, []byte(golden.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if golden.String() != string(want) {
		t.Errorf("errors differ from %s (run with -update and review the diff):\n%s", path, golden.String())
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "runtime-config.toml")
	data := "[key_value_store.default]\ntype = \"spin\"\npath = \"kv.db\"\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := runtimeconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.KeyValueStores["default"].Path; got != filepath.Join(dir, "kv.db") {
		t.Errorf("path = %q, want it relative to the file's directory", got)
	}
	if err := os.WriteFile(path, []byte("[key_value_store.default]\ntype = \"nope\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runtimeconfig.Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":2:8:") {
		t.Errorf("Load error = %v; want it to name %s:2:8", err, path)
	}
	if _, err := runtimeconfig.Load(filepath.Join(dir, "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want os.ErrNotExist", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[key_value_store.default]\ntype = \"spin\"\npath = \"a.db\"\n"))
	f.Add([]byte("state_dir = \"\"\n[key_value_store.r]\ntype = \"redis\"\nurl = \"redis://h:1/0\"\nkey_prefix = \"p\"\n"))
	f.Add([]byte("key_value_store = { x = { type = \"spin\" } }\n[[config_provider]]\n"))
	f.Add([]byte("a.b.c = [1, {x = 2}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := runtimeconfig.Parse(data, "/app")
		if err != nil {
			var perr *runtimeconfig.Error
			if !errors.As(err, &perr) || perr.Line < 1 || perr.Column < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		for label, s := range c.KeyValueStores {
			if s.Label != label || (s.Type != runtimeconfig.TypeSpin && s.Type != runtimeconfig.TypeRedis) {
				t.Fatalf("store %q = %+v", label, s)
			}
			if s.Type == runtimeconfig.TypeSpin && s.Path != "" && !filepath.IsAbs(s.Path) {
				t.Fatalf("store %q has a relative path %q", label, s.Path)
			}
			if s.Type == runtimeconfig.TypeRedis && s.URL == "" {
				t.Fatalf("redis store %q has no URL", label)
			}
		}
	})
}

// TestErrorShape checks that a runtime-config problem names the key at
// fault and is the same error type as a manifest problem, so a caller
// (spin-up) handles both alike.
func TestErrorShape(t *testing.T) {
	_, err := runtimeconfig.Parse([]byte("[key_value_store.\"a b\"]\ntype = \"nope\"\n"), "/app")
	var perr *runtimeconfig.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if perr.Field != `key_value_store."a b".type` || perr.File != runtimeconfig.ParseFile || perr.Line != 2 || perr.Column != 8 {
		t.Errorf("Field, File, Line, Column = %q, %q, %d, %d", perr.Field, perr.File, perr.Line, perr.Column)
	}
	var merr *manifest.Error = perr // one type: this line must compile
	if merr.Error() != perr.Error() {
		t.Errorf("manifest.Error formats differently: %q vs %q", merr.Error(), perr.Error())
	}
}
