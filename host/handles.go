package host

import "github.com/spindlekv/spindle/kv"

// inlineHandles is how many handles a handleTable keeps without a map: a
// guest usually opens one or two stores per request.
const inlineHandles = 4

// handleTable maps the key-value handles of one instance to their stores.
// Handles below inlineHandles live in an array, the rest in a map made on
// first use, so the common request allocates nothing.
type handleTable struct {
	small [inlineHandles]kv.Store // nil: unused
	more  map[uint32]kv.Store
	n     int // handles in use
}

func (t *handleTable) get(h uint32) (kv.Store, bool) {
	if h < inlineHandles {
		s := t.small[h]
		return s, s != nil
	}
	s, ok := t.more[h]
	return s, ok
}

func (t *handleTable) used(h uint32) bool {
	_, ok := t.get(h)
	return ok
}

// put stores s (non-nil) under the unused handle h.
func (t *handleTable) put(h uint32, s kv.Store) {
	t.n++
	if h < inlineHandles {
		t.small[h] = s
		return
	}
	if t.more == nil {
		t.more = make(map[uint32]kv.Store)
	}
	t.more[h] = s
}

func (t *handleTable) del(h uint32) {
	if !t.used(h) {
		return
	}
	t.n--
	if h < inlineHandles {
		t.small[h] = nil
		return
	}
	delete(t.more, h)
}

func (t *handleTable) clear() { *t = handleTable{} }
