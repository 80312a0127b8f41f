package httptrigger

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/spindlekv/spindle/host"
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

func (g *memGuest) AllocMany([]host.Block, []byte) error               { return errOOB }
func (g *memGuest) Write(ptr uint32, b []byte) error                   { return errOOB }
func (g *memGuest) Call(name string, args ...uint64) ([]uint64, error) { return nil, errOOB }

// FuzzLift feeds arbitrary guest memory and return-area addresses to the
// response decoder: it must never panic, and what it accepts must be a
// response net/http can send, with every string freed exactly with the
// length it was read with.
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
	f.Add(good, uint32(0))
	f.Add(good, uint32(250))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, mem []byte, ret uint32) {
		g := &memGuest{mem: mem}
		resp, err := lift(t.Context(), time.Now().Add(time.Minute), g, ret)
		if err != nil {
			return
		}
		if resp.status < 100 || resp.status > 600 {
			t.Fatalf("accepted status %d", resp.status)
		}
		for i := 0; i < len(resp.headers); i += 2 {
			if !wagi.ValidHeaderName(resp.headers[i]) || !wagi.ValidHeaderValue(resp.headers[i+1]) {
				t.Fatalf("accepted header %q: %q", resp.headers[i], resp.headers[i+1])
			}
		}
		// Each header contributes two frees, then the array, then the body.
		want := len(resp.headers)
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
