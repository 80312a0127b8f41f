package manifest_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/spindlekv/spindle/manifest"
)

func benchManifest(b *testing.B) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "valid", "v2-full.toml"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodeMapBaseline is the floor: go-toml decoding the same
// manifest into a map, with no validation or positions.
func BenchmarkDecodeMapBaseline(b *testing.B) {
	data := benchManifest(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var m map[string]any
		if err := toml.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse measures Parse on the v2 manifest using every field.
func BenchmarkParse(b *testing.B) {
	data := benchManifest(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := manifest.Parse(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentReads runs every App method from many goroutines on one
// App; under -race it proves they only read.
func TestConcurrentReads(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bin/hello.wasm": "w", "static/a.txt": "a", "static/b.txt": "b"})
	app := filesApp(t, dir, `["static/*"]`, `[]`)
	app.Components[0].Variables = map[string]string{"k": "v"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				c, _ := app.Component("hello")
				if _, err := app.ReadSource(c); err != nil {
					t.Error(err)
				}
				if files, err := app.ExpandFiles(c); err != nil || len(files) != 2 {
					t.Error(files, err)
				}
				if _, err := app.ResolveVariables("hello", nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
