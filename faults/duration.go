package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Duration is a parameter's duration, model time. In JSON it is seconds,
// as summary.json writes every duration (docs/design.md#summaryjson).
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).Seconds()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s float64
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration in seconds: %w", err)
	}
	*d = Duration(seconds(s))
	return nil
}

// seconds turns summary.json's seconds back into a duration, rounded to
// the microsecond the float can carry.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond)
}

// parsePositive reads a duration a parameter needs more than zero of.
func parsePositive(text string) (time.Duration, error) {
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 200ms, 30s)", text)
	}
	if d <= 0 {
		return 0, errors.New("must be more than zero")
	}
	return d, nil
}
