package provision

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// connectNATS opens a short-lived connection to the JetStream of rawURL.
func connectNATS(rawURL string, timeout time.Duration) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(rawURL, nats.Name("hbharness provision"), nats.Timeout(timeout), nats.NoReconnect())
	if err != nil {
		return nil, nil, fmt.Errorf("cannot connect: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(timeout))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("cannot open JetStream: %w", err)
	}
	return nc, js, nil
}

// ProbeNATS connects and asks for the account's JetStream info: the task
// queue needs JetStream, which nats-server runs only when started with -js.
func ProbeNATS(ctx context.Context, rawURL string, timeout time.Duration) error {
	nc, js, err := connectNATS(rawURL, timeout)
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	switch {
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return fmt.Errorf("NATS answers but JetStream is off (start nats-server with -js): %w", err)
	case err != nil:
		return fmt.Errorf("JetStream does not answer: %w", err)
	}
	return nil
}

// DeleteStreams removes every JetStream stream whose name starts with
// prefix (their consumers go with them): a run's or a test's task queue.
func DeleteStreams(ctx context.Context, rawURL, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("refusing to delete streams with an empty prefix")
	}
	_, err := deleteStreams(ctx, rawURL, func(name string) bool { return len(name) > len(prefix) && name[:len(prefix)] == prefix })
	return err
}

// deleteStreams deletes the streams doomed accepts and returns those it removed.
func deleteStreams(ctx context.Context, rawURL string, doomed func(string) bool) ([]string, error) {
	nc, js, err := connectNATS(rawURL, sweepDial)
	if err != nil {
		return nil, fmt.Errorf("cannot reach NATS at %s (is it running? is NATS_URL right?): %w", Redact(rawURL), err)
	}
	defer nc.Close()
	names := js.StreamNames(ctx)
	var todo []string
	for name := range names.Name() {
		if doomed(name) {
			todo = append(todo, name)
		}
	}
	if err := names.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return nil, fmt.Errorf("listing the streams on %s: %w", Redact(rawURL), err)
	}
	var removed []string
	var errs []error
	for _, name := range todo {
		switch err := js.DeleteStream(ctx, name); {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			// another sweep or its own run got there first
		case err != nil:
			errs = append(errs, fmt.Errorf("deleting stream %s on %s: %w", name, Redact(rawURL), err))
		default:
			removed = append(removed, name)
		}
	}
	return removed, errors.Join(errs...)
}
