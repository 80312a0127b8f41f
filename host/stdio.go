package host

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// maxLogLine bounds a buffered partial line of guest output.
const maxLogLine = 64 << 10

// lineLogger turns a guest output stream into log records, one per line,
// tagged with the component id and the stream name. It is safe for
// concurrent use.
type lineLogger struct {
	log       *slog.Logger
	component string
	stream    string

	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p...)
			if len(l.buf) >= maxLogLine {
				l.emit()
			}
			break
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
	if len(l.buf) > 0 {
		l.emit()
	}
}

func (l *lineLogger) emit() {
	l.log.LogAttrs(context.Background(), slog.LevelInfo, string(l.buf),
		slog.String("component", l.component), slog.String("stream", l.stream))
	l.buf = l.buf[:0]
}
