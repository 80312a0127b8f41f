package runtimeconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	kvredis "github.com/spindlekv/spindle/kv/redis"
)

// Store types of [key_value_store.LABEL] that Spindle opens.
const (
	// TypeSpin is Spin's SQLite store: a file at Path, or in memory when
	// Path is "".
	TypeSpin = "spin"
	// TypeRedis is Spin's Redis store at URL.
	TypeRedis = "redis"
)

// DefaultLabel is the store label every component may use; it is always
// defined (SPIN-COMPAT §5.1).
const DefaultLabel = "default"

// DefaultStoreFile is the file name of the default store inside the state
// directory (SPIN-COMPAT §5.2).
const DefaultStoreFile = "sqlite_key_value.db"

// ErrInvalid is wrapped by every error about the content of a runtime
// config file. Each such error is an *Error with the position.
var ErrInvalid = errors.New("runtimeconfig: invalid runtime config")

// Error is a problem at one position of a runtime-config file. Parse and
// Load return every problem they find, joined with errors.Join; use
// errors.As to get the first *Error, or errors.Is(err, ErrInvalid).
type Error struct {
	// File is the file name given to Load, or "" for Parse.
	File string
	// Line and Column locate the problem, both starting at 1.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

// Error formats the error as "runtimeconfig: FILE:LINE:COLUMN: MSG".
func (e *Error) Error() string {
	file := e.File
	if file == "" {
		file = "runtime config"
	}
	return fmt.Sprintf("runtimeconfig: %s:%d:%d: %s", file, e.Line, e.Column, e.Msg)
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Position is a line and column in a runtime-config file, both from 1.
type Position struct {
	Line, Column int
}

// String formats the position as LINE:COLUMN.
func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Config is a parsed runtime-config file. It is plain data: the caller may
// read and change it before calling Open. A Config is not safe for
// concurrent mutation.
type Config struct {
	// Dir is the absolute directory that relative paths in the file were
	// resolved against.
	Dir string
	// StateDir is the value of state_dir, as written (Spin resolves a
	// relative state directory against the current directory).
	// HasStateDir reports whether the key was present; an empty value
	// present in the file means "no state directory": the default store
	// is then in memory. See StateDirFor.
	StateDir    string
	HasStateDir bool
	// KeyValueStores holds the [key_value_store.LABEL] tables by label.
	KeyValueStores map[string]KeyValueStore
	// Ignored lists the Spin sections in the file that Spindle does not
	// use (sqlite_database, llm_compute, config_provider, ...). Open logs
	// a warning for each.
	Ignored []Ignored
}

// KeyValueStore is one [key_value_store.LABEL] table.
type KeyValueStore struct {
	// Label is the store label.
	Label string
	// Type is TypeSpin or TypeRedis.
	Type string
	// Path is the absolute SQLite file of a TypeSpin store; "" means in
	// memory.
	Path string
	// URL is the Redis URL of a TypeRedis store.
	URL string
	// KeyPrefix is prepended to every key of a TypeRedis store (field
	// key_prefix, a Spindle extension; Spin has no such field and stores
	// keys unprefixed). Labels that share one Redis database are isolated
	// only if their prefixes differ.
	KeyPrefix string
	// Pos is where the table starts in the file.
	Pos Position
}

// Ignored is a Spin section that Spindle accepts but does not use.
type Ignored struct {
	// Section is the top-level key, such as "sqlite_database".
	Section string
	// Pos is where it appears first.
	Pos Position
}

// ignoredSection reports whether k is a Spin runtime-config section that
// is valid for Spin but has no meaning in Spindle. Such sections are
// accepted with a warning so that a file written for Spin works unchanged;
// any other unknown key is an error, which catches typos such as
// key_value_stores.
func ignoredSection(k string) bool {
	switch k {
	case "client_tls", "config_provider", "llm_compute", "log_dir",
		"outbound_http", "sqlite_database", "variables_provider":
		return true
	}
	return false
}

// unsupportedType reports whether typ is a Spin key-value store type that
// Spindle cannot open.
func unsupportedType(typ string) bool {
	return typ == "azure_cosmos" || typ == "aws_dynamo"
}

// Load reads and parses the runtime-config file at path. Relative paths in
// the file are resolved against the file's directory, as Spin does.
// Errors about the content are *Error values naming path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runtimeconfig: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("runtimeconfig: %w", err)
	}
	return parse(data, filepath.Dir(abs), path)
}

// Parse parses the content of a runtime-config file. Relative paths in it
// are resolved against dir (the file's directory), or against the current
// directory when dir is "". It reports every problem it finds, each as an
// *Error with line and column, joined with errors.Join.
func Parse(data []byte, dir string) (*Config, error) {
	return parse(data, dir, "")
}

func parse(data []byte, dir, file string) (*Config, error) {
	if dir == "" {
		dir = "."
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("runtimeconfig: %w", err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, &Error{File: file, Line: line, Column: col, Msg: strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: err.Error()}
	}
	p := &parser{file: file, pos: positions(data)}
	c := &Config{Dir: absDir, KeyValueStores: map[string]KeyValueStore{}}

	top := sortedKeys(doc)
	for _, k := range top {
		v := doc[k]
		switch {
		case k == "state_dir":
			s, ok := v.(string)
			if !ok {
				p.valueErrorf([]string{k}, "state_dir must be a string, not %s", typeName(v))
				continue
			}
			c.StateDir, c.HasStateDir = s, true
		case k == "key_value_store":
			tables, ok := v.(map[string]any)
			if !ok {
				p.valueErrorf([]string{k}, "key_value_store must be a table of [key_value_store.LABEL] tables, not %s", typeName(v))
				continue
			}
			for _, label := range sortedKeys(tables) {
				if s, ok := p.store(absDir, label, tables[label]); ok {
					c.KeyValueStores[label] = s
				}
			}
		case ignoredSection(k):
			c.Ignored = append(c.Ignored, Ignored{Section: k, Pos: p.at([]string{k})})
		default:
			p.errorf([]string{k}, "unknown runtime config key %q (Spindle reads state_dir and [key_value_store.*])", k)
		}
	}
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b error) int {
			ea, eb := a.(*Error), b.(*Error)
			if ea.Line != eb.Line {
				return ea.Line - eb.Line
			}
			return ea.Column - eb.Column
		})
		return nil, errors.Join(p.errs...)
	}
	slices.SortFunc(c.Ignored, func(a, b Ignored) int { return a.Pos.Line - b.Pos.Line })
	return c, nil
}

type parser struct {
	file string
	pos  map[string]Position
	errs []error
}

func (p *parser) at(path []string) Position {
	for n := len(path); n > 0; n-- {
		if pos, ok := p.pos[pathKey(path[:n])]; ok {
			return pos
		}
	}
	return Position{Line: 1, Column: 1}
}

func (p *parser) errorf(path []string, format string, args ...any) {
	p.errorAt(p.at(path), format, args...)
}

// valueErrorf reports a problem with the value at path, at the value's
// position when it is known.
func (p *parser) valueErrorf(path []string, format string, args ...any) {
	pos, ok := p.pos[pathKey(path)+valueMark]
	if !ok {
		pos = p.at(path)
	}
	p.errorAt(pos, format, args...)
}

func (p *parser) errorAt(pos Position, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: pos.Line, Column: pos.Column, Msg: fmt.Sprintf(format, args...)})
}

// store validates one [key_value_store.LABEL] table.
func (p *parser) store(dir, label string, v any) (KeyValueStore, bool) {
	path := []string{"key_value_store", label}
	t, ok := v.(map[string]any)
	if !ok {
		p.valueErrorf(path, "key_value_store.%s must be a table, not %s", quoteKey(label), typeName(v))
		return KeyValueStore{}, false
	}
	if label == "" {
		p.errorf(path, "store label is empty")
		return KeyValueStore{}, false
	}
	s := KeyValueStore{Label: label, Pos: p.at(path)}
	nerr := len(p.errs)
	str := func(field string) (string, bool) {
		v, ok := t[field]
		if !ok {
			return "", false
		}
		s, ok := v.(string)
		if !ok {
			p.valueErrorf(append(path, field), "%s of store %q must be a string, not %s", field, label, typeName(v))
			return "", false
		}
		return s, true
	}
	typ, ok := str("type")
	if !ok {
		if _, present := t["type"]; !present {
			p.errorf(path, "store %q has no type (want %q or %q)", label, TypeSpin, TypeRedis)
		}
		return KeyValueStore{}, false
	}
	s.Type = typ
	var allowed []string
	switch typ {
	case TypeSpin:
		allowed = []string{"type", "path"}
		if v, ok := str("path"); ok {
			if v == "" {
				p.valueErrorf(append(path, "path"), "path of store %q is empty (omit it for an in-memory store)", label)
			} else if filepath.IsAbs(v) {
				s.Path = filepath.Clean(v)
			} else {
				s.Path = filepath.Join(dir, v)
			}
		}
	case TypeRedis:
		allowed = []string{"type", "url", "key_prefix"}
		u, ok := str("url")
		switch {
		case !ok:
			if _, present := t["url"]; !present {
				p.errorf(path, "store %q of type redis has no url", label)
			}
		case u == "":
			p.valueErrorf(append(path, "url"), "url of store %q is empty", label)
		default:
			if _, err := kvredis.ParseURL(u); err != nil {
				// The URL may hold a password: do not repeat it.
				p.valueErrorf(append(path, "url"), "url of store %q: %v", label, strings.TrimPrefix(err.Error(), "kv/redis: parse URL: "))
			}
			s.URL = u
		}
		s.KeyPrefix, _ = str("key_prefix")
	default:
		if unsupportedType(typ) {
			p.valueErrorf(append(path, "type"), "store %q: type %q is a Spin store that Spindle does not support (use %q or %q)", label, typ, TypeSpin, TypeRedis)
		} else {
			p.valueErrorf(append(path, "type"), "store %q: unknown type %q (want %q or %q)", label, typ, TypeSpin, TypeRedis)
		}
		return KeyValueStore{}, false
	}
	for _, f := range sortedKeys(t) {
		if !slices.Contains(allowed, f) {
			p.errorf(append(path, f), "store %q: unknown field %q for type %q (allowed: %s)", label, f, typ, strings.Join(allowed, ", "))
		}
	}
	return s, len(p.errs) == nerr
}

// positions maps every table and key path of a TOML document (joined by
// pathKey) to where it first appears. The document has already parsed
// cleanly with toml.Unmarshal.
func positions(data []byte) map[string]Position {
	out := map[string]Position{}
	var p unstable.Parser
	p.Reset(data)
	record := func(path []string, n *unstable.Node) {
		for i := 1; i <= len(path); i++ {
			k := pathKey(path[:i])
			if _, ok := out[k]; !ok {
				sh := p.Shape(n.Raw)
				out[k] = Position{Line: sh.Start.Line, Column: sh.Start.Column}
			}
		}
	}
	var keyval func(base []string, n *unstable.Node)
	keyval = func(base []string, n *unstable.Node) {
		path := slices.Clone(base)
		it := n.Key()
		var first *unstable.Node
		for it.Next() {
			if first == nil {
				first = it.Node()
			}
			path = append(path, string(it.Node().Data))
		}
		if first != nil {
			record(path, first)
		}
		v := n.Value()
		if vk := pathKey(path) + valueMark; v.Raw.Length > 0 {
			if _, ok := out[vk]; !ok {
				sh := p.Shape(v.Raw)
				out[vk] = Position{Line: sh.Start.Line, Column: sh.Start.Column}
			}
		}
		if v.Kind == unstable.InlineTable {
			ch := v.Children()
			for ch.Next() {
				if ch.Node().Kind == unstable.KeyValue {
					keyval(path, ch.Node())
				}
			}
		}
	}
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = table[:0]
			it := e.Key()
			var first *unstable.Node
			for it.Next() {
				if first == nil {
					first = it.Node()
				}
				table = append(table, string(it.Node().Data))
			}
			if first != nil {
				record(table, first)
			}
		case unstable.KeyValue:
			keyval(table, e)
		}
	}
	return out
}

func pathKey(path []string) string { return strings.Join(path, "\x00") }

// valueMark is appended to a path key to index the position of its value
// rather than of its key.
const valueMark = "\x00\x01"

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	default:
		return "a date or time"
	}
}

func quoteKey(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Sprintf("%q", k)
		}
	}
	return k
}
