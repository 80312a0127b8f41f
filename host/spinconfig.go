package host

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spindlekv/spindle/internal/abi"
)

// Tags of the spin-config error variant
// (v1.5.1:wit/ephemeral/spin-config.wit); every case carries a string.
const (
	cfgErrProvider uint8 = iota
	cfgErrInvalidKey
	cfgErrInvalidSchema
	cfgErrOther
)

// checkConfigKey applies Spin's config key rules: non-empty; lower-case
// ASCII letters, digits and '_'; starts with a letter; ends with a letter
// or digit; no "__".
func checkConfigKey(k string) error {
	if k == "" {
		return errors.New("must not be empty")
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("invalid character %q: only lower-case ASCII letters, digits and '_' are allowed", c)
		}
	}
	if k[0] < 'a' || k[0] > 'z' {
		return errors.New("must start with a lower-case ASCII letter")
	}
	if k[len(k)-1] == '_' {
		return errors.New("must end with a lower-case ASCII letter or digit")
	}
	if strings.Contains(k, "__") {
		return errors.New("must not contain consecutive underscores")
	}
	return nil
}

// getConfig implements spin-config get-config(key_ptr, key_len, ret).
// Return area (16 bytes): +0 tag; ok: +4 ptr, +8 len; err: +4 error tag,
// +8 ptr, +12 len.
func getConfig(st *instanceState, g guest, a []uint64) error {
	ret := uint32(a[2])
	if _, err := retArea(g, ret, resultSize); err != nil {
		return err
	}
	key, err := abi.String(g.memory(), uint32(a[0]), uint32(a[1]))
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	if err := checkConfigKey(key); err != nil {
		return writeErr(g, ret, cfgErrInvalidKey, fmt.Sprintf("invalid key %q: %v", key, err), true)
	}
	v, ok := st.comp.cfg.Variables[key]
	if !ok {
		// Spin v1.5.1 behaviour (v3 answers provider(...) instead).
		return writeErr(g, ret, cfgErrOther, fmt.Sprintf("unknown config path: no config for %q.%q", st.comp.id, key), true)
	}
	ptr, n, err := lowerBytes(g, 1, []byte(v))
	if err != nil {
		return err
	}
	return writeOK(g, ret, ptr, n)
}
