package host

import (
	"context"
	"testing"
	"time"
)

// TestTimeoutRule pins how the timeouts compose: InstanceOptions.Timeout
// replaces the engine's Options.Timeout (raising it works, which it did
// not when the earlier of the two won), negative means none at either
// level, and ctx's deadline always applies.
func TestTimeoutRule(t *testing.T) {
	const engine = time.Minute
	e := testEngine(t, &Options{Timeout: engine})
	none := testEngine(t, &Options{Timeout: -1})
	wat := `(module (func (export "noop")))`
	c, cNone := compile(t, e, wat, Config{}), compile(t, none, wat, Config{})
	short, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	ctxDeadline, _ := short.Deadline()
	tests := []struct {
		name    string
		c       *Module
		ctx     context.Context
		timeout time.Duration
		want    time.Duration // from Instantiate; 0 = no deadline, -1 = ctx's
	}{
		{name: "zero uses the engine's", c: c, timeout: 0, want: engine},
		{name: "shorter replaces", c: c, timeout: time.Second, want: time.Second},
		{name: "longer replaces", c: c, timeout: 5 * time.Hour, want: 5 * time.Hour},
		{name: "negative is none", c: c, timeout: -1, want: 0},
		{name: "engine negative is none", c: cNone, timeout: 0, want: 0},
		{name: "engine none, instance set", c: cNone, timeout: time.Second, want: time.Second},
		{name: "ctx earlier wins", c: c, ctx: short, timeout: 5 * time.Hour, want: -1},
		{name: "ctx with no timeout", c: cNone, ctx: short, timeout: -1, want: -1},
		{name: "instance earlier than ctx", c: c, ctx: short, timeout: time.Second, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			before := time.Now()
			i, err := tt.c.Instantiate(ctx, &InstanceOptions{Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			after := time.Now()
			defer i.Close()
			if _, err := i.Call("noop"); err != nil {
				t.Fatal(err)
			}
			d := i.Deadline()
			switch tt.want {
			case 0:
				if !d.IsZero() {
					t.Errorf("Deadline = %v, want none", d)
				}
			case -1:
				if !d.Equal(ctxDeadline) {
					t.Errorf("Deadline = %v, want ctx's %v", d, ctxDeadline)
				}
			default:
				if d.Before(before.Add(tt.want)) || d.After(after.Add(tt.want)) {
					t.Errorf("Deadline = %v from Instantiate, want %v", d.Sub(before), tt.want)
				}
			}
		})
	}
}
