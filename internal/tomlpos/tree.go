package tomlpos

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Kind is the TOML type of a Node.
type Kind int

// The kinds of TOML value.
const (
	String Kind = iota
	Integer
	Float
	Bool
	Datetime
	Array
	Table
)

// String names the kind as TOML does ("string", "integer", "table", …).
func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Integer:
		return "integer"
	case Float:
		return "float"
	case Bool:
		return "boolean"
	case Datetime:
		return "datetime"
	case Array:
		return "array"
	default:
		return "table"
	}
}

// Article names the kind with its indefinite article: "a string", "an
// integer", "an array", …
func (k Kind) Article() string {
	switch k {
	case Integer, Array:
		return "an " + k.String()
	}
	return "a " + k.String()
}

// Node is one TOML value with its position. A tree is plain data owned by
// the caller of Parse.
type Node struct {
	Kind Kind
	// Pos is where the value starts; for a table, where the last part of
	// the header that defines it is (or where it was first implied).
	Pos Position
	// KeyPos is where the key naming this value is (its last part).
	KeyPos Position
	// Start is where the key expression that first named this value
	// begins: for [a.b] and a.b = 1 alike, the position of "a".
	Start Position
	// Str holds the text of a String, Float or Datetime.
	Str string
	// Int holds an Integer.
	Int int64
	// Bool holds a Bool.
	Bool bool
	// Arr holds an Array's elements.
	Arr []*Node
	// Keys lists a Table's keys in document order; Fields maps them to
	// their values.
	Keys   []string
	Fields map[string]*Node
	// Defined is set for tables created by a header or an inline table,
	// as opposed to ones implied by a dotted key or a longer header.
	Defined bool
}

func newTable(pos, start Position) *Node {
	return &Node{Kind: Table, Pos: pos, KeyPos: pos, Start: start, Fields: map[string]*Node{}}
}

// Get returns the value of key in table n; nil when n is nil, not a
// table, or has no such key.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Table {
		return nil
	}
	return n.Fields[key]
}

func (n *Node) set(key string, v *Node) {
	if _, ok := n.Fields[key]; !ok {
		n.Keys = append(n.Keys, key)
	}
	n.Fields[key] = v
}

// Value converts a subtree to plain Go values: string, int64, float64,
// bool, []any and map[string]any. Datetimes stay as their TOML text.
func (n *Node) Value() any {
	switch n.Kind {
	case String, Datetime:
		return n.Str
	case Integer:
		return n.Int
	case Float:
		return parseFloat(n.Str)
	case Bool:
		return n.Bool
	case Array:
		out := make([]any, len(n.Arr))
		for i, e := range n.Arr {
			out[i] = e.Value()
		}
		return out
	default:
		out := make(map[string]any, len(n.Keys))
		for _, k := range n.Keys {
			out[k] = n.Fields[k].Value()
		}
		return out
	}
}

func parseFloat(s string) float64 {
	s = strings.ReplaceAll(s, "_", "")
	switch strings.TrimLeft(s, "+-") {
	case "inf", "nan":
		s = strings.Replace(s, "inf", "Inf", 1)
		s = strings.Replace(s, "nan", "NaN", 1)
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// Parse parses data into a tree whose root is a Table. A syntax error, a
// duplicate key or a redefined table is returned as an *Error in file at
// the place go-toml reports, with the message "invalid TOML: …" and kind
// in its chain.
func Parse(file string, data []byte, kind error) (*Node, error) {
	// go-toml's decoder enforces every TOML rule (duplicate keys, table
	// redefinition, value syntax); the tree builder below can then assume
	// a well-formed document.
	var check map[string]any
	if err := toml.Unmarshal(data, &check); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, Errorf(file, Position{Line: line, Column: col}, "", kind, "invalid TOML: %s", strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, Errorf(file, Position{}, "", kind, "invalid TOML: %s", strings.TrimPrefix(err.Error(), "toml: "))
	}
	start := Position{Line: 1, Column: 1}
	b := builder{root: newTable(start, start)}
	b.root.Defined = true
	b.cur = b.root
	b.lines = []int{0}
	for i, c := range data {
		if c == '\n' {
			b.lines = append(b.lines, i+1)
		}
	}
	b.p.Reset(data)
	for b.p.NextExpression() {
		if err := b.expression(b.p.Expression()); err != nil {
			return nil, Errorf(file, Position{}, "", kind, "invalid TOML: %v", err)
		}
	}
	if err := b.p.Error(); err != nil {
		return nil, Errorf(file, Position{}, "", kind, "invalid TOML: %v", err)
	}
	return b.root, nil
}

type builder struct {
	p     unstable.Parser
	root  *Node
	cur   *Node
	lines []int // offset of the start of each line
}

func (b *builder) pos(n *unstable.Node) Position {
	if n == nil || n.Raw.Length == 0 && n.Raw.Offset == 0 && n.Kind != unstable.String && n.Kind != unstable.Key {
		return Position{}
	}
	off := int(n.Raw.Offset)
	// The last line starting at or before off.
	i := sort.Search(len(b.lines), func(i int) bool { return b.lines[i] > off }) - 1
	return Position{Line: i + 1, Column: off - b.lines[i] + 1}
}

// keyParts returns the parts of a (possibly dotted) key and the position
// of each part.
func (b *builder) keyParts(n *unstable.Node) ([]string, []Position) {
	var parts []string
	var pos []Position
	it := n.Key()
	for it.Next() {
		k := it.Node()
		parts = append(parts, string(k.Data))
		pos = append(pos, b.pos(k))
	}
	return parts, pos
}

// descend walks from t through parts, entering the last element of
// arrays of tables and creating implicit tables as needed; start is where
// the key expression begins.
func descend(t *Node, parts []string, pos []Position, start Position) (*Node, error) {
	for i, part := range parts {
		next := t.Get(part)
		switch {
		case next == nil:
			next = newTable(pos[i], start)
			t.set(part, next)
		case next.Kind == Array && len(next.Arr) > 0 && next.Arr[len(next.Arr)-1].Kind == Table:
			next = next.Arr[len(next.Arr)-1]
		case next.Kind != Table:
			return nil, fmt.Errorf("key %q is not a table", part)
		}
		t = next
	}
	return t, nil
}

func (b *builder) expression(e *unstable.Node) error {
	switch e.Kind {
	case unstable.Table:
		parts, pos := b.keyParts(e)
		t, err := descend(b.root, parts, pos, pos[0])
		if err != nil {
			return err
		}
		if !t.Defined {
			// The header is where the table is defined, even if a longer
			// header implied it earlier.
			t.Pos, t.KeyPos, t.Defined = pos[len(pos)-1], pos[len(pos)-1], true
		}
		b.cur = t
	case unstable.ArrayTable:
		parts, pos := b.keyParts(e)
		parent, err := descend(b.root, parts[:len(parts)-1], pos, pos[0])
		if err != nil {
			return err
		}
		last := parts[len(parts)-1]
		p := pos[len(pos)-1]
		arr := parent.Get(last)
		if arr == nil {
			arr = &Node{Kind: Array, Pos: p, KeyPos: p, Start: pos[0]}
			parent.set(last, arr)
		}
		if arr.Kind != Array {
			return fmt.Errorf("key %q is not an array of tables", last)
		}
		t := newTable(p, pos[0])
		t.Defined = true
		arr.Arr = append(arr.Arr, t)
		b.cur = t
	case unstable.KeyValue:
		return b.keyValue(b.cur, e)
	}
	return nil
}

func (b *builder) keyValue(t *Node, e *unstable.Node) error {
	parts, pos := b.keyParts(e)
	parent, err := descend(t, parts[:len(parts)-1], pos, pos[0])
	if err != nil {
		return err
	}
	v, err := b.value(e.Value())
	if err != nil {
		return err
	}
	v.KeyPos, v.Start = pos[len(pos)-1], pos[0]
	if v.Pos == (Position{}) {
		v.Pos = v.KeyPos
	}
	parent.set(parts[len(parts)-1], v)
	return nil
}

func (b *builder) value(n *unstable.Node) (*Node, error) {
	p := b.pos(n)
	switch n.Kind {
	case unstable.String:
		return &Node{Kind: String, Pos: p, Str: string(n.Data)}, nil
	case unstable.Integer:
		i, err := strconv.ParseInt(string(n.Data), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("integer %s: %w", n.Data, err)
		}
		return &Node{Kind: Integer, Pos: p, Int: i}, nil
	case unstable.Float:
		return &Node{Kind: Float, Pos: p, Str: string(n.Data)}, nil
	case unstable.Bool:
		return &Node{Kind: Bool, Pos: p, Bool: string(n.Data) == "true"}, nil
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return &Node{Kind: Datetime, Pos: p, Str: string(n.Data)}, nil
	case unstable.Array:
		arr := &Node{Kind: Array, Pos: p}
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			v, err := b.value(c)
			if err != nil {
				return nil, err
			}
			if v.Pos == (Position{}) {
				v.Pos = arr.Pos
			}
			if arr.Pos == (Position{}) {
				arr.Pos = v.Pos
			}
			v.Start = v.Pos
			arr.Arr = append(arr.Arr, v)
		}
		return arr, nil
	case unstable.InlineTable:
		t := newTable(p, p)
		t.Defined = true
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind != unstable.KeyValue {
				continue
			}
			if err := b.keyValue(t, c); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	return nil, fmt.Errorf("unexpected TOML node %s", n.Kind)
}
