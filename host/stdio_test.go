package host

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"strings"
	"testing"
)

// TestGuestOutputCapped: a guest writing 1 MiB of NUL-filled lines to
// stdout adds at most MaxLogBytes of messages to the log, with no escape
// blow-up (NUL becomes U+FFFD, not "\x00"), then one "truncated" record.
func TestGuestOutputCapped(t *testing.T) {
	const limit = 4 << 10
	var logs bytes.Buffer
	e := testEngine(t, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), MaxLogBytes: limit})
	c := compile(t, e, guestWAT(""), Config{ID: "flood"})
	i := instantiate(t, c)
	line := append(bytes.Repeat([]byte{0}, 127), '\n')
	chunk := bytes.Repeat(line, 512) // 64 KiB
	p, n := put(t, i, 1, chunk)
	iov, _ := put(t, i, 4, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, uint32(p)), uint32(n)))
	nw, _ := put(t, i, 4, make([]byte, 4))
	for range 16 {
		if r := call(t, i, "fd-write", 1, iov, 1, nw); r[0] != 0 {
			t.Fatalf("fd_write errno %d", r[0])
		}
	}
	i.Close()
	out := logs.String()
	if strings.Contains(out, `\x00`) {
		t.Error(`NUL bytes were logged escaped as \x00`)
	}
	if got := strings.Count(out, "guest output truncated"); got != 1 {
		t.Errorf("%d truncated records, want 1", got)
	}
	// Each line is 127 U+FFFD (381 bytes); 10 fit in 4 KiB.
	if got := strings.Count(out, "\uFFFD"); got > limit/3 {
		t.Errorf("%d replacement characters logged, over the %d-byte limit", got, limit)
	}
	if len(out) > 2*limit {
		t.Errorf("%d bytes of log for a %d-byte limit:\n%.500s", len(out), limit, out)
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "printable", in: "hello\tworld é", want: "hello\tworld é"},
		{name: "controls", in: "a\x00b\x1b[31mc\x7f", want: "a\uFFFDb\uFFFD[31mc\uFFFD"},
		{name: "invalid utf-8", in: "x\xff\xfey", want: "x\uFFFD\uFFFDy"},
		{name: "c1 control", in: "\u0085", want: "\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(sanitize(nil, []byte(tt.in))); got != tt.want {
				t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestLineLoggerBounds: empty lines count against the cap (each record
// costs at least one byte), and one huge write without a newline is cut
// into records of at most maxLogLine instead of being buffered whole.
func TestLineLoggerBounds(t *testing.T) {
	t.Run("empty lines", func(t *testing.T) {
		var logs bytes.Buffer
		l := &lineLogger{log: slog.New(slog.NewTextHandler(&logs, nil)), component: "c", stream: "stdout", max: 100}
		l.Write(bytes.Repeat([]byte{'\n'}, 100_000))
		l.Flush()
		out := logs.String()
		if n := strings.Count(out, "\n"); n > 101 {
			t.Errorf("%d records for 100,000 empty lines under a 100-byte cap", n)
		}
		if strings.Count(out, "guest output truncated") != 1 {
			t.Errorf("no single truncated record:\n%.300s", out)
		}
	})
	t.Run("long write", func(t *testing.T) {
		var logs bytes.Buffer
		l := &lineLogger{log: slog.New(slog.NewTextHandler(&logs, nil)), component: "c", stream: "stdout", max: -1}
		l.Write(bytes.Repeat([]byte{'a'}, 3*maxLogLine+5))
		if len(l.buf) > maxLogLine {
			t.Errorf("buffered %d bytes of one line, over maxLogLine %d", len(l.buf), maxLogLine)
		}
		l.Flush()
		if n := strings.Count(logs.String(), "\n"); n != 4 {
			t.Errorf("%d records for a line of 3×maxLogLine+5 bytes, want 4", n)
		}
	})
}
