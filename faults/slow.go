package faults

import (
	"fmt"
	"time"
)

// Slow are the parameters of the *-slow kinds: the delay a proxy adds to
// each call, each way.
type Slow struct {
	Latency Duration `json:"latency_s"`
}

func slow() Params { return &Slow{} }

func (*Slow) Fields() []string { return []string{"latency"} }

func (s *Slow) Set(field, text string) error {
	if field != "latency" {
		return &FieldError{Field: field, Msg: "is not a parameter of this kind"}
	}
	d, err := parsePositive(text)
	if err != nil {
		return &FieldError{Field: field, Msg: err.Error()}
	}
	s.Latency = Duration(d)
	return nil
}

func (s *Slow) Check(kind string) error {
	if s.Latency <= 0 {
		return &FieldError{Field: "latency", Missing: true, Msg: fmt.Sprintf("is required for %s (the delay added to each call, e.g. 200ms)", kind)}
	}
	return nil
}

func (s *Slow) String() string { return "latency " + time.Duration(s.Latency).String() }
