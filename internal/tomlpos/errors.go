package tomlpos

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Position is a place in a TOML document; Line and Column start at 1.
// The zero Position means "unknown".
type Position struct {
	Line, Column int
}

// String formats p as "line:column".
func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Error is one problem at one place of a TOML file. The manifest and
// kv/runtimeconfig packages export it under their own names.
//
// Error values are immutable once returned and safe for concurrent use.
type Error struct {
	// File names the file: the path given to Load, or a package default
	// for text parsed from bytes.
	File string
	// Line and Column (1-based) locate the key or value at fault. A
	// problem with no better place (a missing top-level key) points at
	// 1:1.
	Line, Column int
	// Field is the dotted path of the offending key, e.g.
	// "component.hello.key_value_stores" or "key_value_store.cache.url";
	// "" for the whole document.
	Field string
	// Err describes the problem; its chain contains the reporting
	// package's sentinel error.
	Err error
}

// Error formats the problem as "file:line:column: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error at pos (1:1 when pos is zero) whose message is
// formatted from format and args and whose chain contains kind. The
// message does not repeat kind's text.
func Errorf(file string, pos Position, field string, kind error, format string, args ...any) *Error {
	if pos == (Position{}) {
		pos = Position{Line: 1, Column: 1}
	}
	return &Error{File: file, Line: pos.Line, Column: pos.Column, Field: field,
		Err: &problem{kind: kind, msg: fmt.Sprintf(format, args...)}}
}

// Join sorts errs by position (stably, so problems at one place keep
// their order) and joins them with errors.Join; nil when errs is empty.
func Join(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// problem is a message tied to a sentinel; its text does not repeat the
// sentinel's.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }
