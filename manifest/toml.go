package manifest

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// This file turns TOML text into a small tree that remembers key order and
// the line and column of every key and value, so that every validation
// problem can point at the text that caused it. go-toml/v2 types never
// leave this file.

type kind int

const (
	kindString kind = iota
	kindInteger
	kindFloat
	kindBool
	kindDatetime
	kindArray
	kindTable
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindInteger:
		return "integer"
	case kindFloat:
		return "float"
	case kindBool:
		return "boolean"
	case kindDatetime:
		return "datetime"
	case kindArray:
		return "array"
	default:
		return "table"
	}
}

// node is one TOML value with its position.
type node struct {
	kind   kind
	pos    Position // where the value (or a table's header) starts
	keyPos Position // where the key naming this value is
	str    string   // string, float and datetime text
	num    int64
	bool   bool
	arr    []*node
	keys   []string // table keys in document order
	fields map[string]*node
	// defined is set for tables created by a header or an inline table,
	// as opposed to ones implied by a dotted key or a longer header.
	defined bool
}

func newTable(pos Position) *node {
	return &node{kind: kindTable, pos: pos, keyPos: pos, fields: map[string]*node{}}
}

func (n *node) get(key string) *node {
	if n == nil || n.kind != kindTable {
		return nil
	}
	return n.fields[key]
}

func (n *node) set(key string, v *node) {
	if _, ok := n.fields[key]; !ok {
		n.keys = append(n.keys, key)
	}
	n.fields[key] = v
}

// toAny converts a subtree to plain Go values: string, int64, float64,
// bool, []any and map[string]any. Datetimes stay as their TOML text.
func (n *node) toAny() any {
	switch n.kind {
	case kindString, kindDatetime:
		return n.str
	case kindInteger:
		return n.num
	case kindFloat:
		return parseFloat(n.str)
	case kindBool:
		return n.bool
	case kindArray:
		out := make([]any, len(n.arr))
		for i, e := range n.arr {
			out[i] = e.toAny()
		}
		return out
	default:
		out := make(map[string]any, len(n.keys))
		for _, k := range n.keys {
			out[k] = n.fields[k].toAny()
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

// parseTOML parses data into a tree. A syntax error, a duplicate key or a
// redefined table is returned as an *Error with the position go-toml
// reports.
func parseTOML(file string, data []byte) (*node, error) {
	// go-toml's decoder enforces every TOML rule (duplicate keys, table
	// redefinition, value syntax); the tree builder below can then assume
	// a well-formed document.
	var check map[string]any
	if err := toml.Unmarshal(data, &check); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, &Error{File: file, Line: line, Column: col, Err: &problem{kind: ErrSyntax, msg: "invalid TOML: " + de.Error()}}
		}
		return nil, &Error{File: file, Line: 1, Column: 1, Err: &problem{kind: ErrSyntax, msg: "invalid TOML: " + err.Error()}}
	}
	b := builder{root: newTable(Position{Line: 1, Column: 1})}
	b.root.defined = true
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
			return nil, &Error{File: file, Line: 1, Column: 1, Err: &problem{kind: ErrSyntax, msg: "invalid TOML: " + err.Error()}}
		}
	}
	if err := b.p.Error(); err != nil {
		return nil, &Error{File: file, Line: 1, Column: 1, Err: &problem{kind: ErrSyntax, msg: "invalid TOML: " + err.Error()}}
	}
	return b.root, nil
}

type builder struct {
	p     unstable.Parser
	root  *node
	cur   *node
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
// arrays of tables and creating implicit tables as needed.
func descend(t *node, parts []string, pos []Position) (*node, error) {
	for i, part := range parts {
		next := t.get(part)
		switch {
		case next == nil:
			next = newTable(pos[i])
			t.set(part, next)
		case next.kind == kindArray && len(next.arr) > 0 && next.arr[len(next.arr)-1].kind == kindTable:
			next = next.arr[len(next.arr)-1]
		case next.kind != kindTable:
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
		t, err := descend(b.root, parts, pos)
		if err != nil {
			return err
		}
		if !t.defined {
			// The header is where the table is defined, even if a longer
			// header implied it earlier.
			t.pos, t.keyPos, t.defined = pos[len(pos)-1], pos[len(pos)-1], true
		}
		b.cur = t
	case unstable.ArrayTable:
		parts, pos := b.keyParts(e)
		parent, err := descend(b.root, parts[:len(parts)-1], pos)
		if err != nil {
			return err
		}
		last := parts[len(parts)-1]
		p := pos[len(pos)-1]
		arr := parent.get(last)
		if arr == nil {
			arr = &node{kind: kindArray, pos: p, keyPos: p}
			parent.set(last, arr)
		}
		if arr.kind != kindArray {
			return fmt.Errorf("key %q is not an array of tables", last)
		}
		t := newTable(p)
		t.defined = true
		arr.arr = append(arr.arr, t)
		b.cur = t
	case unstable.KeyValue:
		return b.keyValue(b.cur, e)
	}
	return nil
}

func (b *builder) keyValue(t *node, e *unstable.Node) error {
	parts, pos := b.keyParts(e)
	parent, err := descend(t, parts[:len(parts)-1], pos)
	if err != nil {
		return err
	}
	v, err := b.value(e.Value())
	if err != nil {
		return err
	}
	v.keyPos = pos[len(pos)-1]
	if v.pos == (Position{}) {
		v.pos = v.keyPos
	}
	parent.set(parts[len(parts)-1], v)
	return nil
}

func (b *builder) value(n *unstable.Node) (*node, error) {
	p := b.pos(n)
	switch n.Kind {
	case unstable.String:
		return &node{kind: kindString, pos: p, str: string(n.Data)}, nil
	case unstable.Integer:
		i, err := strconv.ParseInt(string(n.Data), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("integer %s: %w", n.Data, err)
		}
		return &node{kind: kindInteger, pos: p, num: i}, nil
	case unstable.Float:
		return &node{kind: kindFloat, pos: p, str: string(n.Data)}, nil
	case unstable.Bool:
		return &node{kind: kindBool, pos: p, bool: string(n.Data) == "true"}, nil
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return &node{kind: kindDatetime, pos: p, str: string(n.Data)}, nil
	case unstable.Array:
		arr := &node{kind: kindArray, pos: p}
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
			if v.pos == (Position{}) {
				v.pos = arr.pos
			}
			if arr.pos == (Position{}) {
				arr.pos = v.pos
			}
			arr.arr = append(arr.arr, v)
		}
		return arr, nil
	case unstable.InlineTable:
		t := newTable(p)
		t.defined = true
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
