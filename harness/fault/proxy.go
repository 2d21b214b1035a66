// Package fault injects dependency failures (docs/design.md#scenario-files `faults:`) through TCP
// proxies placed in front of the real servers. Those servers are shared by
// everything on the machine, so they are never stopped, paused, flushed or
// reconfigured: a fault is a Toxic set on the Proxy that the system under test
// connects through, and Schedule sets and clears toxics on the scenario's clock.
package fault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// dialTimeout bounds one upstream connect. The upstreams are local servers, so
// a connect that takes this long means the server is gone, not slow.
const dialTimeout = 5 * time.Second

// acceptRetry is the pause after a failed Accept (e.g. out of file
// descriptors), so a persistent failure does not spin a core.
const acceptRetry = 50 * time.Millisecond

// Proxy listens on 127.0.0.1 and forwards every connection to Upstream,
// passing the traffic through the active Toxic.
type Proxy struct {
	name     string
	upstream string
	log      *slog.Logger
	ln       net.Listener

	// lifetime ends with Close (or the context given to NewProxy) and bounds
	// upstream dials, so Close never waits for a slow connect.
	lifetime context.Context
	cancel   context.CancelFunc

	cur atomic.Pointer[state] // read for every chunk, so not behind mu

	mu        sync.Mutex // orders Set against admissions and Close
	links     map[*link]struct{}
	stack     []*pushed // faults in effect, oldest first; the newest is active
	closed    bool
	stopWatch func() bool // detaches Close from NewProxy's context

	wg        sync.WaitGroup // the accept loop and one per link
	closeOnce sync.Once
	closeErr  error
}

// state is the active toxic plus a channel closed when it is replaced, so
// chunks held or delayed under it re-evaluate at once.
type state struct {
	toxic   Toxic
	changed chan struct{}
}

// NewProxy starts a proxy for upstream (e.g. "127.0.0.1:6379") on a free
// loopback port. It runs until Close or until ctx ends, whichever is first.
func NewProxy(ctx context.Context, name, upstream string, log *slog.Logger) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return nil, fmt.Errorf("fault proxy %q: upstream %q is not a host:port address: %w", name, upstream, err)
	}
	if log == nil {
		log = slog.Default()
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy %q for %s: listen on a free loopback port: %w", name, upstream, err)
	}
	lifetime, cancel := context.WithCancel(ctx)
	p := &Proxy{
		name:     name,
		upstream: upstream,
		log:      log.With("proxy", name, "upstream", upstream),
		ln:       ln,
		lifetime: lifetime,
		cancel:   cancel,
		links:    make(map[*link]struct{}),
	}
	p.cur.Store(&state{toxic: passThrough{}, changed: make(chan struct{})})
	p.wg.Add(1)
	go p.accept()
	// Under mu because the callback may run (and read stopWatch in Close)
	// before this assignment finishes when ctx is already ending.
	p.mu.Lock()
	p.stopWatch = context.AfterFunc(ctx, func() { _ = p.Close() })
	p.mu.Unlock()
	p.log.Info("fault proxy listening", "addr", p.Addr())
	return p, nil
}

// Addr is the address clients should dial instead of the upstream's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set replaces the active toxic; nil restores pass-through. It applies to
// connections already open as well as new ones: chunks waiting under the old
// toxic are re-judged under the new one, and a severing toxic (Down) resets
// every open connection before Set returns.
func (p *Proxy) Set(t Toxic) {
	if t == nil {
		t = passThrough{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.cur.Swap(&state{toxic: t, changed: make(chan struct{})})
	close(prev.changed)
	severed := 0
	if t.Sever() {
		for l := range p.links {
			l.sever(true)
			severed++
		}
	}
	p.log.Info("fault proxy toxic set", "toxic", describe(t), "was", describe(prev.toxic), "severed_connections", severed)
}

// pushed is one toxic on a proxy's stack.
type pushed struct{ toxic Toxic }

// Push makes t the active toxic on top of any already in effect, and
// returns the function that takes it off again. Overlapping faults on one
// proxy stack rather than fight: the proxy shows the newest fault still in
// effect, and when that one is popped it goes back to the next newest, or to
// pass-through when none is left, so no fault is lifted early by another
// one ending. Pop is idempotent.
func (p *Proxy) Push(t Toxic) (pop func()) {
	e := &pushed{toxic: t}
	p.mu.Lock()
	p.stack = append(p.stack, e)
	p.mu.Unlock()
	p.Set(t)
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			for i, x := range p.stack {
				if x == e {
					p.stack = append(p.stack[:i], p.stack[i+1:]...)
					break
				}
			}
			var next Toxic
			if n := len(p.stack); n > 0 {
				next = p.stack[n-1].toxic
			}
			p.mu.Unlock()
			p.Set(next)
		})
	}
}

// Healthy reports whether the proxy forwards: it runs with no fault in
// effect and a connection through it reaches the upstream. A proxy that
// cannot heal would leave the target broken after its fault ended, and
// every verdict after that would judge the harness.
func (p *Proxy) Healthy(ctx context.Context) error {
	p.mu.Lock()
	closed, faults := p.closed, len(p.stack)
	p.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("fault proxy %q is closed", p.name)
	case faults > 0:
		return fmt.Errorf("fault proxy %q still has %d faults in effect", p.name, faults)
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", p.Addr())
	if err != nil {
		return fmt.Errorf("fault proxy %q does not accept connections after its faults ended: %w", p.name, err)
	}
	_ = conn.Close()
	return nil
}

// Close stops listening, closes every connection and waits for all of the
// proxy's goroutines. Calling it again returns the first call's result.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		err := p.ln.Close()
		p.mu.Lock()
		p.closed = true
		p.stopWatch()
		for l := range p.links {
			l.sever(false)
		}
		p.mu.Unlock()
		p.wg.Wait()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			p.closeErr = fmt.Errorf("fault proxy %q: close listener %s: %w", p.name, p.Addr(), err)
		}
		p.log.Info("fault proxy closed")
	})
	return p.closeErr
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Warn("fault proxy: accept failed; retrying", "err", err)
			select {
			case <-time.After(acceptRetry):
			case <-p.lifetime.Done():
				return
			}
			continue
		}
		p.admit(conn)
	}
}

// admit registers a client connection under mu, so a concurrent Set(Down)
// either refuses it here or finds it in links and severs it: none slips through.
func (p *Proxy) admit(conn net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !p.cur.Load().toxic.Admit() {
		resetConn(conn)
		return
	}
	l := &link{p: p, client: conn, done: make(chan struct{})}
	p.links[l] = struct{}{}
	p.wg.Add(1)
	go l.serve()
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.links, l)
}

func (p *Proxy) dial() (net.Conn, error) {
	ctx, cancel := context.WithTimeout(p.lifetime, dialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.upstream)
	if err != nil {
		return nil, fmt.Errorf("fault proxy %q: connect to upstream %s: %w", p.name, p.upstream, err)
	}
	return conn, nil
}

// release blocks until a chunk that arrived at arrived may be forwarded under
// whatever toxic is active, re-judging it whenever the toxic changes. It
// returns false when the link is severed first.
func (p *Proxy) release(arrived time.Time, done <-chan struct{}) bool {
	for {
		s := p.cur.Load()
		at, hold := s.toxic.Release(arrived)
		if hold {
			select {
			case <-s.changed:
				continue
			case <-done:
				return false
			}
		}
		wait := time.Until(at)
		if wait <= 0 {
			return true
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
			return true
		case <-s.changed:
			timer.Stop()
		case <-done:
			timer.Stop()
			return false
		}
	}
}

// resetConn closes conn with an RST rather than a FIN, which is what a client of a
// crashed server sees and what makes it fail at once instead of reading EOF later.
func resetConn(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func describe(t Toxic) string {
	if s, ok := t.(fmt.Stringer); ok {
		return s.String()
	}
	return t.Name()
}

// ProxyURL starts a proxy in front of the server rawURL names (any
// scheme://host:port URL) and returns it with the URL rewritten to go
// through it.
func ProxyURL(ctx context.Context, name, rawURL string, log *slog.Logger) (*Proxy, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, "", fmt.Errorf("cannot put a fault proxy in front of %q: not a scheme://host:port URL", redacted(rawURL))
	}
	p, err := NewProxy(ctx, name, u.Host, log)
	if err != nil {
		return nil, "", fmt.Errorf("starting the %s fault proxy: %w", name, err)
	}
	u.Host = p.Addr()
	return p, u.String(), nil
}

// redacted hides a password in a URL that may not even parse.
func redacted(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}
