package runtimeconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spindlekv/spindle/internal/tomlpos"
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
// defined (v1.5.1:crates/key-value/src/host_component.rs adds it when the
// runtime config does not).
const DefaultLabel = "default"

// DefaultStoreFile is the file name of the default store inside the state
// directory (v1.5.1:crates/trigger/src/runtime_config/key_value.rs).
const DefaultStoreFile = "sqlite_key_value.db"

// ParseFile is the file name Parse gives its errors.
const ParseFile = "runtime config"

// ErrInvalid is wrapped by every error about the content of a runtime
// config file. Each such error is an *Error with the position.
var ErrInvalid = errors.New("runtimeconfig: invalid runtime config")

// Error is a problem at one position of a runtime-config file. Parse and
// Load return every problem they find, joined with errors.Join; use
// errors.As to get the first *Error, or errors.Is(err, ErrInvalid).
//
// Its fields are File (the path given to Load, or ParseFile for Parse),
// Line and Column (both from 1), Field (the dotted key at fault, e.g.
// "key_value_store.cache.url"; "" for the whole file) and Err (what is
// wrong; its chain contains ErrInvalid). Error formats it as
// "file:line:column: message". It is the same type as manifest.Error:
// both packages read TOML through one positioned reader.
//
// Error values are immutable once returned and safe for concurrent use.
type Error = tomlpos.Error

// Position is a line and column in a runtime-config file, both from 1. It
// is the same type as manifest.Position.
type Position = tomlpos.Position

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
	return parse(data, dir, ParseFile)
}

func parse(data []byte, dir, file string) (*Config, error) {
	if dir == "" {
		dir = "."
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("runtimeconfig: %w", err)
	}
	root, err := tomlpos.Parse(file, data, ErrInvalid)
	if err != nil {
		return nil, err
	}
	p := &parser{file: file}
	c := &Config{Dir: absDir, KeyValueStores: map[string]KeyValueStore{}}
	for _, k := range root.Keys {
		v := root.Fields[k]
		switch {
		case k == "state_dir":
			if v.Kind != tomlpos.String {
				p.errorf(v.Pos, k, "state_dir must be a string, not %s", v.Kind.Article())
				continue
			}
			c.StateDir, c.HasStateDir = v.Str, true
		case k == "key_value_store":
			if v.Kind != tomlpos.Table {
				p.errorf(v.Pos, k, "key_value_store must be a table of [key_value_store.LABEL] tables, not %s", v.Kind.Article())
				continue
			}
			for _, label := range v.Keys {
				if s, ok := p.store(absDir, label, v.Fields[label]); ok {
					c.KeyValueStores[label] = s
				}
			}
		case ignoredSection(k):
			c.Ignored = append(c.Ignored, Ignored{Section: k, Pos: v.Start})
		default:
			p.errorf(v.Start, k, "unknown runtime config key %q (Spindle reads state_dir and [key_value_store.*])", k)
		}
	}
	if err := tomlpos.Join(p.errs); err != nil {
		return nil, err
	}
	return c, nil
}

// parser collects the problems of one file.
type parser struct {
	file string
	errs []*Error
}

func (p *parser) errorf(pos Position, field, format string, args ...any) {
	p.errs = append(p.errs, tomlpos.Errorf(p.file, pos, field, ErrInvalid, format, args...))
}

// store validates one [key_value_store.LABEL] table.
func (p *parser) store(dir, label string, t *tomlpos.Node) (KeyValueStore, bool) {
	field := "key_value_store." + quoteKey(label)
	if t.Kind != tomlpos.Table {
		p.errorf(t.Pos, field, "%s must be a table, not %s", field, t.Kind.Article())
		return KeyValueStore{}, false
	}
	if label == "" {
		p.errorf(t.Start, field, "store label is empty")
		return KeyValueStore{}, false
	}
	s := KeyValueStore{Label: label, Pos: t.Start}
	nerr := len(p.errs)
	str := func(key string) (string, bool) {
		v := t.Get(key)
		if v == nil {
			return "", false
		}
		if v.Kind != tomlpos.String {
			p.errorf(v.Pos, field+"."+key, "%s of store %q must be a string, not %s", key, label, v.Kind.Article())
			return "", false
		}
		return v.Str, true
	}
	typ, ok := str("type")
	if !ok {
		if t.Get("type") == nil {
			p.errorf(t.Start, field, "store %q has no type (want %q or %q)", label, TypeSpin, TypeRedis)
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
				p.errorf(t.Get("path").Pos, field+".path", "path of store %q is empty (omit it for an in-memory store)", label)
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
			if t.Get("url") == nil {
				p.errorf(t.Start, field, "store %q of type redis has no url", label)
			}
		case u == "":
			p.errorf(t.Get("url").Pos, field+".url", "url of store %q is empty", label)
		default:
			if _, err := kvredis.ParseURL(u); err != nil {
				// The URL may hold a password: do not repeat it.
				p.errorf(t.Get("url").Pos, field+".url", "url of store %q: %v", label, strings.TrimPrefix(err.Error(), "kv/redis: parse URL: "))
			}
			s.URL = u
		}
		s.KeyPrefix, _ = str("key_prefix")
	default:
		tp := t.Get("type").Pos
		if unsupportedType(typ) {
			p.errorf(tp, field+".type", "store %q: type %q is a Spin store that Spindle does not support (use %q or %q)", label, typ, TypeSpin, TypeRedis)
		} else {
			p.errorf(tp, field+".type", "store %q: unknown type %q (want %q or %q)", label, typ, TypeSpin, TypeRedis)
		}
		return KeyValueStore{}, false
	}
	for _, f := range t.Keys {
		if !slices.Contains(allowed, f) {
			p.errorf(t.Fields[f].Start, field+"."+quoteKey(f), "store %q: unknown field %q for type %q (allowed: %s)", label, f, typ, strings.Join(allowed, ", "))
		}
	}
	return s, len(p.errs) == nerr
}

// quoteKey writes a TOML key as it may appear in a dotted key: bare when
// it can be, quoted otherwise.
func quoteKey(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Sprintf("%q", k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}
