package host

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/spindlekv/spindle/internal/wagi"
)

// memGuest is guest memory as a byte slice, for fuzzing the response
// decoding without running wasm; Free records its calls.
type memGuest struct {
	mem   []byte
	frees [][3]uint32
}

var errOOB = errors.New("out of bounds")

func (g *memGuest) Read(ptr, n uint32) ([]byte, error) {
	if uint64(ptr)+uint64(n) > uint64(len(g.mem)) {
		return nil, errOOB
	}
	return append([]byte(nil), g.mem[ptr:ptr+n]...), nil
}

func (g *memGuest) Free(ptr, size, align uint32) error {
	g.frees = append(g.frees, [3]uint32{ptr, size, align})
	return nil
}

// FuzzLift feeds arbitrary guest memory and return-area addresses to the
// response decoder: it must never panic, and what it accepts must be a
// response net/http can send, within the header limits, with every
// string freed exactly with the length it was read with.
func FuzzLift(f *testing.F) {
	good := make([]byte, 256)
	binary.LittleEndian.PutUint16(good[0:], 200)
	good[4] = 1
	binary.LittleEndian.PutUint32(good[8:], 64)
	binary.LittleEndian.PutUint32(good[12:], 1)
	good[16] = 1
	binary.LittleEndian.PutUint32(good[20:], 128)
	binary.LittleEndian.PutUint32(good[24:], 3)
	binary.LittleEndian.PutUint32(good[64:], 96)
	binary.LittleEndian.PutUint32(good[68:], 1)
	binary.LittleEndian.PutUint32(good[72:], 100)
	binary.LittleEndian.PutUint32(good[76:], 1)
	copy(good[96:], "a")
	copy(good[100:], "b")
	copy(good[128:], "hey")
	f.Add(good, uint32(0), uint8(4), uint16(64))
	f.Add(good, uint32(250), uint8(0), uint16(0))
	f.Add([]byte{}, uint32(0), uint8(1), uint16(1))
	f.Fuzz(func(t *testing.T, mem []byte, ret uint32, maxHeaders uint8, maxBytes uint16) {
		g := &memGuest{mem: mem}
		resp, err := liftHTTP(t.Context(), time.Now().Add(time.Minute), g, ret, int(maxHeaders), int(maxBytes))
		if err != nil {
			return
		}
		if resp.Status < 100 || resp.Status > 600 {
			t.Fatalf("accepted status %d", resp.Status)
		}
		if len(resp.Headers) > int(maxHeaders) {
			t.Fatalf("accepted %d headers, limit %d", len(resp.Headers), maxHeaders)
		}
		total := 0
		for _, h := range resp.Headers {
			if !wagi.ValidHeaderName(h.Name) || !wagi.ValidHeaderValue(h.Value) {
				t.Fatalf("accepted header %q: %q", h.Name, h.Value)
			}
			total += len(h.Name) + len(h.Value)
		}
		if total > int(maxBytes) {
			t.Fatalf("accepted %d header bytes, limit %d", total, maxBytes)
		}
		// Each header contributes two frees, then the array, then the body.
		want := 2 * len(resp.Headers)
		if mem[ret+4] == 1 {
			want++
		}
		if mem[ret+16] == 1 {
			want++
		}
		if len(g.frees) != want {
			t.Fatalf("%d frees, want %d", len(g.frees), want)
		}
	})
}
