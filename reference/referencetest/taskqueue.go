package referencetest

import "github.com/hbharness/hbharness/reference/taskqueue"

// The task queue (NATS JetStream) as the reference uses it, for tests of
// the faults that act on its connection (harness/fault): a queue to seed
// and reserve from, through a proxy or directly.
type (
	Queue       = taskqueue.Queue
	QueueConfig = taskqueue.Config
	Job         = taskqueue.Job
)

// ConnectTimeout is how long (model time) the queue's client waits to
// connect before a reservation is unavailable.
const ConnectTimeout = taskqueue.ConnectTimeout

// ErrUnavailable is what a reservation returns while NATS cannot be reached.
var ErrUnavailable = taskqueue.ErrUnavailable

// NewQueue connects to the task queue c names.
func NewQueue(c QueueConfig) (*Queue, error) { return taskqueue.New(c) }
