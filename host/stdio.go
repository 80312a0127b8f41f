package host

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"unicode/utf8"
)

// DefaultMaxLogBytes is the default Options.MaxLogBytes: 256 KiB of each
// of stdout and stderr per instance. Spin logs guest output without limit.
const DefaultMaxLogBytes = 256 << 10

// maxLogLine bounds a buffered partial line of guest output.
const maxLogLine = 64 << 10

// lineLogger turns a guest output stream into log records, one per line,
// tagged with the component id and the stream name. Control characters
// (other than tab) and invalid UTF-8 become U+FFFD, so a record is never
// an escaped blow-up of binary output; a line longer than maxLogLine is
// split into several records. After max bytes of records, each counted as
// its text plus one (max < 0: no limit), it logs one "guest output truncated" record and drops the
// rest. It is safe for concurrent use.
type lineLogger struct {
	log       *slog.Logger
	component string
	stream    string
	max       int64

	mu     sync.Mutex
	buf    []byte // the partial line, then its sanitised copy after it
	logged int64  // bytes of records so far; -1 once truncated
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 && l.logged >= 0 {
		// Never buffer more than maxLogLine of one line, however large
		// the write: a longer line becomes several records.
		room := maxLogLine - len(l.buf)
		i := bytes.IndexByte(p, '\n')
		if i < 0 || i > room {
			take := min(len(p), room)
			l.buf = append(l.buf, p[:take]...)
			p = p[take:]
			if len(l.buf) >= maxLogLine {
				l.emit()
			}
			continue
		}
		l.buf = append(l.buf, p[:i]...)
		l.emit()
		p = p[i+1:]
	}
	return n, nil
}

// Flush logs a trailing partial line.
func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 && l.logged >= 0 {
		l.emit()
	}
}

func (l *lineLogger) emit() {
	n := len(l.buf)
	l.buf = sanitize(l.buf, l.buf[:n]) // appended after the raw line
	msg := l.buf[n:]
	l.buf = l.buf[:0]
	// A record costs its text plus one byte, so empty lines count too.
	cost := int64(len(msg)) + 1
	if l.max >= 0 && l.logged+cost > l.max {
		l.logged, l.buf = -1, nil
		l.log.LogAttrs(context.Background(), slog.LevelWarn, "guest output truncated",
			slog.String("component", l.component), slog.String("stream", l.stream), slog.Int64("limit", l.max))
		return
	}
	l.logged += cost
	l.log.LogAttrs(context.Background(), slog.LevelInfo, string(msg),
		slog.String("component", l.component), slog.String("stream", l.stream))
}

// sanitize appends b to dst with control characters other than tab (C0,
// DEL, C1) and invalid UTF-8 replaced by U+FFFD.
func sanitize(dst, b []byte) []byte {
	for len(b) > 0 {
		c := b[0]
		if c >= 0x20 && c < 0x7f || c == '\t' {
			dst = append(dst, c)
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r < 0xa0 || r == utf8.RuneError {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst
}
