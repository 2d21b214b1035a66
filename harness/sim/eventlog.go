package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"time"
)

// eventLog is the simulation's record of what happened, one line per
// event the reference reported or the fleet sent, hashed as it is written:
// two runs with one seed and one binary give one hash, which a test holds
// them to. Out, when set, receives the lines too.
type eventLog struct {
	h   hash.Hash
	out io.Writer
	buf []byte
	n   int64
	err error
}

func newEventLog(out io.Writer) *eventLog { return &eventLog{h: sha256.New(), out: out} }

// line records one event: its model offset, then its fields.
func (l *eventLog) line(at time.Duration, fields ...string) {
	b := strconv.AppendInt(l.buf[:0], int64(at), 10)
	for _, f := range fields {
		b = append(b, ' ')
		b = append(b, f...)
	}
	b = append(b, '\n')
	l.buf = b
	l.h.Write(b)
	if l.out != nil && l.err == nil {
		_, l.err = l.out.Write(b)
	}
	l.n++
}

// sum is the hash of every line so far.
func (l *eventLog) sum() string { return hex.EncodeToString(l.h.Sum(nil)) }
