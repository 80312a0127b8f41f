package manifest

import (
	"fmt"
	"strings"
)

// checkWords applies Spin's generic identifier rule (v2/v3
// crates/serde/src/id.rs): non-empty; words separated by sep; each word
// non-empty, starting with an ASCII letter, only ASCII alphanumerics and
// all-lower or all-UPPER (all-lower only when lowerOnly). It returns a
// message in Spin's words, or "".
func checkWords(id string, sep byte, lowerOnly bool) string {
	if id == "" {
		return "empty"
	}
	other := byte('_')
	if sep == '_' {
		other = '-'
	}
	for word := range strings.SplitSeq(id, string(sep)) {
		if word == "" {
			return fmt.Sprintf("'%c'-separated words must not be empty", sep)
		}
		if c := word[0]; !isLetter(c) {
			return fmt.Sprintf("'%c'-separated words must start with an ASCII letter; got %s", sep, quoteRune(word))
		}
		var lower, upper bool
		for i := range len(word) {
			c := word[i]
			switch {
			case c == other:
				return fmt.Sprintf("words must be separated with '%c', not '%c'", sep, other)
			case c >= 'a' && c <= 'z':
				lower = true
			case c >= 'A' && c <= 'Z':
				upper = true
			case c >= '0' && c <= '9':
			default:
				return fmt.Sprintf("'%c'-separated words may only contain alphanumeric ASCII; got %s", sep, quoteRune(word[i:]))
			}
		}
		if lower && upper {
			return fmt.Sprintf("'%c'-separated words must be all lowercase or all UPPERCASE", sep)
		}
		if upper && lowerOnly {
			return fmt.Sprintf("'%c'-separated words must be lowercase", sep)
		}
	}
	return ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// quoteRune quotes the first rune of s as Spin does ('x').
func quoteRune(s string) string {
	for _, r := range s {
		return "'" + string(r) + "'"
	}
	return "''"
}

// checkKebab is the v2 component id rule.
func checkKebab(id string) string { return checkWords(id, '-', false) }

// checkLowerSnake is the v2/v3 variable name rule.
func checkLowerSnake(id string) string { return checkWords(id, '_', true) }

// checkV1VariableName is Spin 1.5.1's rule for variable names and
// [component.config] keys: non-empty, only a-z, 0-9 and '_', starting
// with a lower-case letter, ending with a letter or digit, no "__".
func checkV1VariableName(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case name[0] < 'a' || name[0] > 'z':
		return "must start with a lowercase ASCII letter"
	case name[len(name)-1] == '_':
		return "must end with a lowercase ASCII letter or digit"
	case strings.Contains(name, "__"):
		return "must not contain multiple consecutive underscores"
	}
	for i := range len(name) {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Sprintf("may contain only lowercase ASCII letters, digits and '_'; got %s", quoteRune(name[i:]))
		}
	}
	return ""
}

// checkV1StoreLabel is Spin 1.5.1's key_value_stores label rule: words
// separated by '_', each ASCII alphanumeric starting with a letter and
// all-lower or all-UPPER.
func checkV1StoreLabel(label string) string { return checkWords(label, '_', false) }

// checkStoreLabel is Spin 3's rule: kebab-case or snake_case.
func checkStoreLabel(label string) string {
	if checkWords(label, '-', false) == "" || checkWords(label, '_', false) == "" {
		return ""
	}
	return "expected kebab-case or snake_case"
}

// normaliseV1ID converts a v1 component id as Spin 3 does: kept when it
// is already kebab-case, otherwise '_' becomes '-' and it is lower-cased.
// The message is "" when the result is a valid id.
func normaliseV1ID(id string) (string, string) {
	if checkKebab(id) == "" {
		return id, ""
	}
	n := strings.ToLower(strings.ReplaceAll(id, "_", "-"))
	return n, checkKebab(n)
}
