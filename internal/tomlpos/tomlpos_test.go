package tomlpos_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/spindlekv/spindle/internal/tomlpos"
)

var errKind = errors.New("test: invalid")

func TestParsePositions(t *testing.T) {
	doc := `top = "v"
a.b = 1
[t.u]
x = [1, 2]
y = { z = true }
[[arr]]
k = 1.5
[[arr]]
`
	root, err := tomlpos.Parse("f.toml", []byte(doc), errKind)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := root.Keys, []string{"top", "a", "t", "arr"}; !reflect.DeepEqual(got, want) {
		t.Errorf("root keys = %v, want document order %v", got, want)
	}
	p := func(l, c int) tomlpos.Position { return tomlpos.Position{Line: l, Column: c} }
	tests := []struct {
		name              string
		node              *tomlpos.Node
		kind              tomlpos.Kind
		pos, keyPos, from tomlpos.Position
	}{
		{name: "string value", node: root.Get("top"), kind: tomlpos.String, pos: p(1, 7), keyPos: p(1, 1), from: p(1, 1)},
		{name: "implicit table of a dotted key", node: root.Get("a"), kind: tomlpos.Table, pos: p(2, 1), keyPos: p(2, 1), from: p(2, 1)},
		{name: "last part of a dotted key", node: root.Get("a").Get("b"), kind: tomlpos.Integer, pos: p(2, 7), keyPos: p(2, 3), from: p(2, 1)},
		{name: "table from a header", node: root.Get("t").Get("u"), kind: tomlpos.Table, pos: p(3, 4), keyPos: p(3, 4), from: p(3, 2)},
		{name: "array", node: root.Get("t").Get("u").Get("x"), kind: tomlpos.Array, pos: p(4, 6), keyPos: p(4, 1), from: p(4, 1)},
		{name: "inline table value", node: root.Get("t").Get("u").Get("y").Get("z"), kind: tomlpos.Bool, pos: p(5, 11), keyPos: p(5, 7), from: p(5, 7)},
		{name: "array of tables", node: root.Get("arr"), kind: tomlpos.Array, pos: p(6, 3), keyPos: p(6, 3), from: p(6, 3)},
		{name: "float in an array table", node: root.Get("arr").Arr[0].Get("k"), kind: tomlpos.Float, pos: p(7, 5), keyPos: p(7, 1), from: p(7, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.node
			if n == nil {
				t.Fatal("node missing")
			}
			if n.Kind != tt.kind || n.Pos != tt.pos || n.KeyPos != tt.keyPos || n.Start != tt.from {
				t.Errorf("kind, Pos, KeyPos, Start = %v, %v, %v, %v; want %v, %v, %v, %v",
					n.Kind, n.Pos, n.KeyPos, n.Start, tt.kind, tt.pos, tt.keyPos, tt.from)
			}
		})
	}
	if n := len(root.Get("arr").Arr); n != 2 {
		t.Errorf("arr has %d tables, want 2", n)
	}
	want := map[string]any{"z": true}
	if got := root.Get("t").Get("u").Get("y").Value(); !reflect.DeepEqual(got, want) {
		t.Errorf("Value() = %#v, want %#v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{name: "syntax", doc: "a = \"x\nb = 1\n", want: "f.toml:1:7: invalid TOML: basic strings cannot have new lines"},
		{name: "duplicate key", doc: "a = 1\na = 2\n", want: "f.toml:2:1: invalid TOML: key a is already defined"},
		{name: "redefined table", doc: "[t]\n[t]\n", want: "f.toml:2:2: invalid TOML: table t already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tomlpos.Parse("f.toml", []byte(tt.doc), errKind)
			var e *tomlpos.Error
			if !errors.As(err, &e) || !errors.Is(err, errKind) {
				t.Fatalf("error %v is not an *Error wrapping the kind", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestJoinSortsByPosition(t *testing.T) {
	errs := []*tomlpos.Error{
		tomlpos.Errorf("f", tomlpos.Position{Line: 3, Column: 1}, "c", errKind, "third"),
		tomlpos.Errorf("f", tomlpos.Position{}, "", errKind, "first (no position means 1:1)"),
		tomlpos.Errorf("f", tomlpos.Position{Line: 2, Column: 5}, "b", errKind, "second"),
	}
	got := tomlpos.Join(errs).Error()
	want := "f:1:1: first (no position means 1:1)\nf:2:5: second\nf:3:1: third"
	if got != want {
		t.Errorf("Join = %q, want %q", got, want)
	}
	if tomlpos.Join(nil) != nil {
		t.Error("Join(nil) != nil")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("a.b = [1, {c = 2}]\n[[t]]\n[t.u]\nx = 1979-05-27\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := tomlpos.Parse("f", data, errKind)
		if err != nil {
			var e *tomlpos.Error
			if !errors.As(err, &e) || e.Line < 1 || e.Column < 1 || !errors.Is(err, errKind) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		var walk func(n *tomlpos.Node)
		walk = func(n *tomlpos.Node) {
			if n.Pos.Line < 1 || n.Pos.Column < 1 {
				t.Fatalf("node without a position: %+v", n)
			}
			for _, e := range n.Arr {
				walk(e)
			}
			for _, k := range n.Keys {
				walk(n.Fields[k])
			}
		}
		walk(root)
	})
}
