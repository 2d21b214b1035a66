// Package results streams every request a run makes to a file in vegeta's
// own binary encoding, so that `vegeta report`, `vegeta plot` and
// `vegeta encode` read a run's requests as they read an attack of their own.
package results

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Sink takes the result of every request as it ends. Load generators call
// Add from many goroutines at once, on their hot path; Add must not keep r.
type Sink interface {
	Add(r *vegeta.Result)
}

// DefaultBuffer is how many results may wait for the writer: at the
// harness's highest request rates (tens of thousands a second) a few
// seconds' worth, so a slow disk stalls no generator while it catches up.
const DefaultBuffer = 1 << 16

// Stream encodes results on a goroutine of its own: generators hand a
// result over a buffered channel and go on; one writer encodes them
// through a bufio.Writer. It must be closed, also when the run is
// interrupted, to flush what is buffered; a file cut short by a crash still
// decodes up to its last whole result.
type Stream struct {
	ch     chan vegeta.Result
	done   chan struct{}
	closed atomic.Bool
	// mu orders Add against Close: many Adds hold it shared, Close takes
	// it alone before closing the channel, so no Add sends on a closed one.
	mu sync.RWMutex

	added, stalls atomic.Uint64
	err           error // the first write error; read after done
	written       uint64
}

// NewStream starts a stream writing to w with room for buffer results in
// flight (DefaultBuffer when ≤ 0). Close flushes it; it does not close w.
func NewStream(w io.Writer, buffer int) *Stream {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	s := &Stream{ch: make(chan vegeta.Result, buffer), done: make(chan struct{})}
	go s.write(w)
	return s
}

// Add hands r to the writer. Every result is kept: when the buffer is full
// Add waits for room rather than drop one, since the file's counts must
// equal the summary's, and counts the stall (Stalls). After Close it does
// nothing.
func (s *Stream) Add(r *vegeta.Result) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return
	}
	s.added.Add(1)
	select {
	case s.ch <- *r:
	default:
		s.stalls.Add(1)
		s.ch <- *r
	}
}

// Added is how many results were handed to the stream.
func (s *Stream) Added() uint64 { return s.added.Load() }

// Stalls is how many Adds had to wait for room in the buffer: 0 means the
// stream never slowed a generator down.
func (s *Stream) Stalls() uint64 { return s.stalls.Load() }

func (s *Stream) write(w io.Writer) {
	defer close(s.done)
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := vegeta.NewEncoder(bw)
	for r := range s.ch {
		if s.err != nil {
			continue // keep draining so no Add blocks forever
		}
		if err := enc.Encode(&r); err != nil {
			s.err = err
			continue
		}
		s.written++
	}
	if err := bw.Flush(); err != nil && s.err == nil {
		s.err = err
	}
}

// Close waits for every result handed over so far to be written and
// flushes them. It returns the first write error; closing twice returns nil.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return nil
	}
	close(s.ch)
	s.mu.Unlock()
	<-s.done
	if s.err != nil {
		return fmt.Errorf("writing request results (%d of %d written): %w", s.written, s.added.Load(), s.err)
	}
	return nil
}
