package standin

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/hbharness/hbharness/reference/broker"
)

// Broker is the task queue: FIFO, durable for the run, one queue for every
// message type (Antenna's heartbeat_queue: shared). The simulation hands
// messages to the workers itself (Next), so Consume is not offered.
type Broker struct {
	clock Clock
	rng   *rand.Rand
	rtt   Latency
	queue []broker.Message
	head  int
	// Notify, when set, hears of each message enqueued: the simulation
	// wakes an idle worker with it.
	Notify func()
	// Down makes every publish fail, as a broker that refuses connections.
	Down bool
}

// ErrBrokerDown is a publish to a broker the simulation has taken away.
var ErrBrokerDown = errors.New("simulated broker refused the connection")

// errNoConsume says how this broker is read instead.
var errNoConsume = errors.New("the simulated broker does not consume: the simulation hands messages to its workers (Next)")

// NewBroker returns an empty queue whose publishes take rtt.
func NewBroker(clock Clock, rng *rand.Rand, rtt Latency) *Broker {
	return &Broker{clock: clock, rng: rng, rtt: rtt}
}

// Enqueue implements broker.Broker: the message is queued once the broker
// has it, halfway through the round trip.
func (b *Broker) Enqueue(_ context.Context, m broker.Message) error {
	rtt := b.rtt.Draw(b.rng)
	b.clock.Spend(rtt / 2)
	defer b.clock.Spend(rtt - rtt/2)
	if b.Down {
		return ErrBrokerDown
	}
	b.queue = append(b.queue, m)
	if b.Notify != nil {
		b.Notify()
	}
	return nil
}

// Consume implements broker.Broker by refusing: see Next.
func (b *Broker) Consume(context.Context, string, broker.Handler) error { return errNoConsume }

// Depth implements broker.Broker.
func (b *Broker) Depth(context.Context) (int64, error) { return int64(b.Len()), nil }

// Len is the number of messages waiting.
func (b *Broker) Len() int { return len(b.queue) - b.head }

// Close implements broker.Broker.
func (b *Broker) Close() error { return nil }

// Next takes the oldest message, if any.
func (b *Broker) Next() (broker.Message, bool) {
	if b.head == len(b.queue) {
		return broker.Message{}, false
	}
	m := b.queue[b.head]
	b.queue[b.head] = broker.Message{}
	b.head++
	if b.head > 1024 && b.head*2 > len(b.queue) {
		// Reclaim the taken half, so a long run's queue does not grow forever.
		b.queue = append(b.queue[:0], b.queue[b.head:]...)
		b.head = 0
	}
	return m, true
}

// Pending implements broker.Lister: what is still queued, oldest first.
func (b *Broker) Pending(context.Context) ([]broker.Message, error) {
	return append([]broker.Message(nil), b.queue[b.head:]...), nil
}
