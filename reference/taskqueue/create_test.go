package taskqueue

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

func TestIsStorageDirRace(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"the server's directory race", &jetstream.APIError{Code: 500, ErrorCode: 10049,
			Description: "could not create storage directory - mkdir /var/lib/nats-server/jetstream/$G/streams/x: no such file or directory"}, true},
		{"wrapped", fmt.Errorf("creating stream x: %w", &jetstream.APIError{Description: "could not create storage directory - x"}), true},
		{"subjects overlap is not retried", &jetstream.APIError{ErrorCode: jsErrSubjectsOverlap, Description: "subjects overlap with an existing stream"}, false},
		{"a timeout is not retried", errors.New("context deadline exceeded"), false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isStorageDirRace(tc.err); got != tc.want {
				t.Fatalf("isStorageDirRace(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
