package broker

import (
	"context"
	"errors"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"

	"github.com/hbharness/hbharness/internal/isoname"
)

// A queue of a test's or run's naming must expire when unused, so that one a
// killed run left behind goes away even though nothing can list it; any
// other queue is kept, as Celery's is. RabbitMQ refuses a redeclare whose
// arguments differ (PRECONDITION_FAILED), which tells which ones it holds.
func TestAMQPDeclaresQueuesOfOurNamingExpiring(t *testing.T) {
	requireRabbit(t)
	expiring := amqp.Table{"x-expires": isoname.QueueExpiry.Milliseconds()}
	cases := []struct {
		name       string
		prefix     string
		wantExpiry bool
	}{
		{"a run's", isoname.New("run", time.Now()) + ":", true},
		{"a test's", isoname.New("t", time.Now()) + ":", true},
		{"any other", testPrefix(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q, err := NewAMQP(ctx, rabbitURL, tc.prefix, 2*time.Second, discardLog())
			require.NoError(t, err)
			t.Cleanup(func() {
				require.NoError(t, q.Delete(context.Background()), "removing the test queue")
				require.NoError(t, q.Close())
			})
			// Declared by a dial, as it is for a run: NewAMQP's own dial.
			depth, err := q.Depth(ctx)
			require.NoError(t, err)
			require.Zero(t, depth)

			conn, err := amqp.Dial(rabbitURL)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			redeclare := func(args amqp.Table) error {
				ch, err := conn.Channel()
				require.NoError(t, err)
				defer func() { _ = ch.Close() }()
				_, err = ch.QueueDeclare(tc.prefix+"queue", true, false, false, false, args)
				return err
			}
			same, other := amqp.Table(nil), expiring
			if tc.wantExpiry {
				same, other = expiring, nil
			}
			require.NoError(t, redeclare(same), "the queue holds these arguments")
			var aerr *amqp.Error
			require.True(t, errors.As(redeclare(other), &aerr), "declaring with other arguments fails")
			require.Equal(t, amqp.PreconditionFailed, aerr.Code, aerr.Reason)
		})
	}
}
