package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// createAttempts bounds how often a stream creation is retried after the
// server failed to make the stream's directory.
const createAttempts = 3

// createStream is CreateStream, retried when the NATS server could not make
// the stream's storage directory. The NATS server here is shared: another
// run (or test package) deleting its streams at the same moment has made
// this server fail a creation with "could not create storage directory"
// while the account's folder was being cleaned up, and a moment later the
// same creation succeeds. Any other error is returned at once.
func createStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	for attempt := 1; ; attempt++ {
		s, err := js.CreateStream(ctx, cfg)
		if err == nil || attempt == createAttempts || !isStorageDirRace(err) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("creating stream %s after the server could not make its directory: %w", cfg.Name, errors.Join(err, ctx.Err()))
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

func isStorageDirRace(err error) bool {
	return err != nil && strings.Contains(err.Error(), "could not create storage directory")
}
