package httptrigger

import (
	"context"
	"errors"
	"log/slog"
)

const levelInfo = slog.LevelInfo

// levelFor logs a client that went away as a warning and anything else
// as an error.
func levelFor(err error) slog.Level {
	if errors.Is(err, context.Canceled) {
		return slog.LevelWarn
	}
	return slog.LevelError
}

func strAttr(k, v string) slog.Attr { return slog.String(k, v) }
func errAttr(err error) slog.Attr   { return slog.Any("err", err) }
