package logthrottle

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestThrottlesRepeatedWarnings(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(New(slog.NewTextHandler(&buf, nil), 50*time.Millisecond)).With("replica", 0)
	for range 100 {
		log.Warn("gate failed", "err", "refused")
	}
	log.Warn("another message")
	log.Info("info always passes")
	log.Info("info always passes")
	time.Sleep(60 * time.Millisecond)
	log.Warn("gate failed", "err", "refused")
	out := buf.String()
	require.Equal(t, 2, strings.Count(out, `msg="gate failed"`), out)
	require.Contains(t, out, "suppressed_since_last=99")
	require.Equal(t, 1, strings.Count(out, "another message"))
	require.Equal(t, 2, strings.Count(out, "info always passes"))
	require.Contains(t, out, "replica=0", "attributes survive")
}
