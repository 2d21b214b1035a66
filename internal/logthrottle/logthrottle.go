// Package logthrottle keeps a failing dependency from flooding the log: a
// Redis outage under thousands of requests would otherwise write one warning
// per request. Each distinct message passes at most once per interval; the
// next one that passes says how many were held back.
package logthrottle

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Handler wraps another handler. Records below Warn always pass.
type Handler struct {
	inner slog.Handler
	every time.Duration
	state *state
}

type state struct {
	mu   sync.Mutex
	seen map[string]*entry
}

type entry struct {
	last       time.Time
	suppressed int
}

// New throttles warnings and errors of inner to one per message per every.
func New(inner slog.Handler, every time.Duration) *Handler {
	return &Handler{inner: inner, every: every, state: &state{seen: map[string]*entry{}}}
}

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.inner.Handle(ctx, r)
	}
	h.state.mu.Lock()
	e := h.state.seen[r.Message]
	if e == nil {
		if len(h.state.seen) > 10_000 {
			clear(h.state.seen) // bounded: messages are few, but never trust that
		}
		e = &entry{}
		h.state.seen[r.Message] = e
	}
	if !e.last.IsZero() && r.Time.Sub(e.last) < h.every {
		e.suppressed++
		h.state.mu.Unlock()
		return nil
	}
	n := e.suppressed
	e.last, e.suppressed = r.Time, 0
	h.state.mu.Unlock()
	if n > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed_since_last", n))
	}
	return h.inner.Handle(ctx, r)
}

// WithAttrs and WithGroup keep sharing one throttle, so a logger derived
// with .With(...) per replica or per request is throttled together.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{inner: h.inner.WithAttrs(as), every: h.every, state: h.state}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), every: h.every, state: h.state}
}
