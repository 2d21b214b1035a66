package fault

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

const (
	// chunkSize is the most one read takes; a larger read would only make
	// Latency coarser, never faster.
	chunkSize = 32 << 10
	// queueDepth chunks may wait per direction. A full queue stops the reader,
	// so a held or delayed direction pushes back on its sender through TCP
	// flow control instead of buffering without bound.
	queueDepth = 64
)

// chunk is one read, stamped with when it reached the proxy so Latency can
// delay it from arrival rather than from when the writer got to it.
type chunk struct {
	arrived time.Time
	data    []byte
}

// link is one proxied client connection and its upstream connection.
type link struct {
	p      *Proxy
	client net.Conn
	done   chan struct{} // closed by sever; every goroutine of the link then stops

	mu       sync.Mutex
	upstream net.Conn
	severed  bool
}

func (l *link) serve() {
	defer l.p.wg.Done()
	defer l.p.forget(l)
	up, err := l.p.dial()
	if err != nil {
		l.p.log.Warn("fault proxy: resetting a client connection because the upstream is unreachable", "err", err)
		l.sever(true)
		return
	}
	if !l.attach(up) {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { l.pipe(l.client, up) })
	wg.Go(func() { l.pipe(up, l.client) })
	wg.Wait()
	l.sever(false)
}

// attach records the upstream connection so sever closes it too; it reports
// false (and closes up) when the link was severed while dialing.
func (l *link) attach(up net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.severed {
		_ = up.Close()
		return false
	}
	l.upstream = up
	return true
}

// sever ends the link: both connections close, the client's with an RST when
// reset is set, and every goroutine of the link is told to stop.
func (l *link) sever(reset bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.severed {
		return
	}
	l.severed = true
	close(l.done)
	if reset {
		resetConn(l.client)
	} else {
		_ = l.client.Close()
	}
	if l.upstream != nil {
		_ = l.upstream.Close()
	}
}

// pipe carries one direction. Reading and writing are separate goroutines so
// the reader keeps stamping arrivals while the writer waits on the toxic.
func (l *link) pipe(src, dst net.Conn) {
	queue := make(chan chunk, queueDepth)
	var wg sync.WaitGroup
	wg.Go(func() { l.read(src, queue) })
	l.write(dst, queue)
	wg.Wait()
}

func (l *link) read(src net.Conn, queue chan<- chunk) {
	defer close(queue)
	buf := make([]byte, chunkSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case queue <- chunk{arrived: time.Now(), data: bytes.Clone(buf[:n])}:
			case <-l.done:
				return
			}
		}
		if err != nil {
			// EOF is a half-close that the writer forwards after the queued
			// bytes; anything else (reset, closed by sever) ends the link.
			if !errors.Is(err, io.EOF) {
				l.sever(false)
			}
			return
		}
	}
}

func (l *link) write(dst net.Conn, queue <-chan chunk) {
	for {
		var c chunk
		var ok bool
		select {
		case c, ok = <-queue:
		case <-l.done:
			return
		}
		if !ok {
			halfClose(dst, l)
			return
		}
		if !l.p.release(c.arrived, l.done) {
			return
		}
		if _, err := dst.Write(c.data); err != nil {
			l.sever(false)
			return
		}
	}
}

// halfClose forwards an EOF, keeping the other direction open for the reply
// as TCP allows; a connection that cannot half-close ends the link instead.
func halfClose(dst net.Conn, l *link) {
	if hc, ok := dst.(interface{ CloseWrite() error }); ok {
		if err := hc.CloseWrite(); err == nil {
			return
		}
	}
	l.sever(false)
}
