package runtimeconfig_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/spindlekv/spindle/kv/runtimeconfig"
)

func ExampleParse() {
	file := `
state_dir = ".state"

[key_value_store.default]
type = "spin"
path = "data/default.db"

[key_value_store.sessions]
type = "redis"
url = "redis://localhost:6379/0"
key_prefix = "sessions:" # Spindle extension

[sqlite_database.default]
type = "spin"
`
	cfg, err := runtimeconfig.Parse([]byte(file), "/srv/app")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("state dir:", cfg.StateDir)
	for _, label := range []string{"default", "sessions"} {
		s := cfg.KeyValueStores[label]
		fmt.Printf("%s: type=%s path=%q url=%q prefix=%q\n", label, s.Type, s.Path, s.URL, s.KeyPrefix)
	}
	for _, ig := range cfg.Ignored {
		fmt.Printf("ignored %s at %s\n", ig.Section, ig.Pos)
	}
	// Output:
	// state dir: .state
	// default: type=spin path="/srv/app/data/default.db" url="" prefix=""
	// sessions: type=redis path="" url="redis://localhost:6379/0" prefix="sessions:"
	// ignored sqlite_database at 13:2
}

func ExampleParse_error() {
	_, err := runtimeconfig.Parse([]byte("[key_value_store.default]\ntype = \"postgres\"\n"), "/srv/app")
	fmt.Println(err)
	// Output:
	// runtime config:2:8: store "default": unknown type "postgres" (want "spin" or "redis")
}

func ExampleConfig_Open() {
	cfg, err := runtimeconfig.Parse([]byte(`
[key_value_store.cache]
type = "spin" # no path: in memory
`), "")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	// No state directory: the implicit default store is in memory too.
	res, err := cfg.Open(ctx, "", &runtimeconfig.OpenOptions{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		log.Fatal(err)
	}
	defer res.Close()
	fmt.Println(res.Labels())
	cache, err := res.Resolve(ctx, "cache")
	if err != nil {
		log.Fatal(err)
	}
	if err := cache.Set(ctx, "k", []byte("v")); err != nil {
		log.Fatal(err)
	}
	v, err := cache.Get(ctx, "k")
	fmt.Printf("%s %v\n", v, err)
	_, err = res.Resolve(ctx, "other")
	fmt.Println(err)
	// Output:
	// [cache default]
	// v <nil>
	// runtimeconfig: resolve "other": kv: no such store
}
