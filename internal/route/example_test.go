package route_test

import (
	"fmt"

	"github.com/spindlekv/spindle/internal/route"
)

func Example() {
	patterns := []route.Pattern{
		route.Compile("/base", "/..."),
		route.Compile("/base", "/static/..."),
		route.Compile("/base", "/static/index.html"),
	}
	r, err := route.NewRouter(patterns, []string{"app", "files", "index"})
	if err != nil {
		panic(err)
	}
	for _, path := range []string{"/base/x", "/base/static/img/a.png", "/base/static/index.html", "/other"} {
		p, name, ok := r.Route(path)
		if !ok {
			fmt.Printf("%s -> no route\n", path)
			continue
		}
		fmt.Printf("%s -> %s (matched %q, path info %q)\n", path, name, p.Matched(), p.PathInfo(path))
	}
	// Output:
	// /base/x -> app (matched "/base/...", path info "/x")
	// /base/static/img/a.png -> files (matched "/base/static/...", path info "/img/a.png")
	// /base/static/index.html -> index (matched "/base/static/index.html", path info "")
	// /other -> no route
}
