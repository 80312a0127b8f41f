package manifest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindlekv/spindle/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// rulesFor gives the v1 rules a testdata file is parsed with: Spin1 for
// names containing ".spin1.", else the default (Spin3).
func rulesFor(name string) manifest.Rules {
	if strings.Contains(name, ".spin1.") {
		return manifest.Spin1
	}
	return manifest.DefaultV1Rules
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGoldenValid parses every manifest under testdata/valid and compares
// the normalised model (as JSON) with its golden file.
func TestGoldenValid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.toml"))
	if len(files) == 0 {
		t.Fatal("no testdata/valid manifests")
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			app, err := parseFile(t, path, rulesFor(name))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(app, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(path, ".toml")+".json", append(got, '\n'))
		})
	}
}

// invalidWant lists, for every manifest under testdata/invalid, the
// sentinels its error must match. A file missing here fails the test.
var invalidWant = map[string][]error{
	"syntax.toml":                            {manifest.ErrSyntax},
	"version-missing.toml":                   {manifest.ErrMissingField},
	"version-string-2.toml":                  {manifest.ErrUnsupportedVersion},
	"version-integer-3.toml":                 {manifest.ErrUnsupportedVersion},
	"version-both.toml":                      {manifest.ErrUnsupportedVersion},
	"v1-unknown-fields.spin1.toml":           {manifest.ErrUnknownField},
	"v1-missing-top.spin1.toml":              {manifest.ErrMissingField},
	"v1-missing-base.spin1.toml":             {manifest.ErrMissingField},
	"v1-missing-component-fields.spin1.toml": {manifest.ErrMissingField},
	"v1-duplicate-id.spin1.toml":             {manifest.ErrDuplicateID},
	"v1-bad-store-labels.spin1.toml":         {manifest.ErrInvalidID},
	"v1-bad-variables.spin1.toml":            {manifest.ErrInvalidID, manifest.ErrInvalidVariable},
	"v1-bad-executor.spin1.toml":             {manifest.ErrInvalidValue, manifest.ErrUnknownField, manifest.ErrMissingField},
	"v1-bad-templates.spin1.toml":            {manifest.ErrInvalidTemplate},
	"v1-bad-sources.spin1.toml":              {manifest.ErrInvalidValue, manifest.ErrMissingField},
	"v1-bad-hosts.spin1.toml":                {manifest.ErrInvalidValue},
	"v1-bad-files.spin1.toml":                {manifest.ErrInvalidValue, manifest.ErrUnknownField, manifest.ErrMissingField, manifest.ErrInvalidType},
	"v1-wrong-types.spin1.toml":              {manifest.ErrInvalidType},
	"v1-wrong-component-types.spin1.toml":    {manifest.ErrInvalidType},
	"v1-redis-no-address.spin1.toml":         {manifest.ErrMissingField},
	"v1-spin3-rules.toml":                    {manifest.ErrUnknownField, manifest.ErrInvalidID, manifest.ErrDuplicateID},
	"v2-unknown-fields.toml":                 {manifest.ErrUnknownField},
	"v2-bad-ids.toml":                        {manifest.ErrInvalidID},
	"v2-missing-component.toml":              {manifest.ErrMissingComponent},
	"v2-missing-fields.toml":                 {manifest.ErrMissingField},
	"v2-bad-routes.toml":                     {manifest.ErrInvalidValue, manifest.ErrInvalidType, manifest.ErrMissingField},
	"v2-duplicate-trigger-id.toml":           {manifest.ErrDuplicateID},
	"v2-bad-build.toml":                      {manifest.ErrInvalidValue, manifest.ErrInvalidType, manifest.ErrMissingField},
}

// TestGoldenInvalid checks that every manifest under testdata/invalid
// fails, that every problem in it is reported (golden .err file) as an
// *Error with a position, and that the sentinels match.
func TestGoldenInvalid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.toml"))
	if len(files) != len(invalidWant) {
		t.Errorf("%d invalid manifests, %d entries in invalidWant", len(files), len(invalidWant))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, ok := invalidWant[name]
			if !ok {
				t.Fatalf("%s has no entry in invalidWant", name)
			}
			app, err := parseFile(t, path, rulesFor(name))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", app)
			}
			for _, w := range want {
				if !errors.Is(err, w) {
					t.Errorf("error does not match %v:\n%v", w, err)
				}
			}
			for _, e := range flatten(err) {
				var me *manifest.Error
				if !errors.As(e, &me) {
					t.Errorf("%v is not a *manifest.Error", e)
					continue
				}
				if me.File != name || me.Line < 1 || me.Column < 1 {
					t.Errorf("%v: bad position %s:%d:%d", e, me.File, me.Line, me.Column)
				}
			}
			golden(t, strings.TrimSuffix(path, ".toml")+".err", []byte(err.Error()+"\n"))
		})
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
