package host

import (
	"bytes"
	"testing"
)

func TestSmoke(t *testing.T) {
	e := testEngine(t, nil)
	var out bytes.Buffer
	c := compile(t, e, guestWAT(""), Config{Stdout: &out, KeyValueStores: []string{"default"}})
	i := instantiate(t, c)
	msg := []byte("hello\n")
	p, n := put(t, i, 1, msg)
	iov, _ := put(t, i, 4, []byte{byte(p), byte(p >> 8), 0, 0, byte(n), 0, 0, 0})
	nw, _ := put(t, i, 4, make([]byte, 4))
	r := call(t, i, "fd-write", 1, iov, 1, nw)
	if r[0] != 0 {
		t.Fatalf("fd_write errno %d", r[0])
	}
	if out.String() != "hello\n" {
		t.Fatalf("stdout = %q", out.String())
	}
}
