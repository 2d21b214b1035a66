package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// header is the part of a fault's JSON every kind shares. Its fields and
// the kinds' parameters sit side by side in one object, as summary.json's
// fault_schedule has always written them, so that a summary written before
// the kinds had types of their own still replays.
type header struct {
	Kind    string  `json:"kind"`
	AtS     float64 `json:"at_s"`
	ForS    float64 `json:"for_s"`
	Replica *int    `json:"replica,omitempty"` // absent: every replica
}

// MarshalJSON writes the fault as one flat object: kind, at_s, for_s,
// replica (left out for every replica) and its kind's parameters.
// The zero Fault (no kind: nothing recorded) is written as null.
func (f Fault) MarshalJSON() ([]byte, error) {
	if f.Kind == "" {
		return []byte("null"), nil
	}
	h := header{Kind: f.Kind, AtS: f.At.Seconds(), ForS: f.For.Seconds()}
	if f.Replica != AllReplicas {
		r := f.Replica
		h.Replica = &r
	}
	out := map[string]json.RawMessage{}
	if f.Params != nil {
		b, err := json.Marshal(f.Params)
		if err != nil {
			return nil, fmt.Errorf("%s's parameters: %w", f.Kind, err)
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, fmt.Errorf("%s's parameters must write a JSON object: %w", f.Kind, err)
		}
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var common map[string]json.RawMessage
	if err := json.Unmarshal(b, &common); err != nil {
		return nil, err
	}
	for k, v := range common {
		if _, clash := out[k]; clash {
			return nil, fmt.Errorf("%s's parameter %q clashes with a field every fault has", f.Kind, k)
		}
		out[k] = v
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes: the kind names the type its
// parameters are read into.
// null leaves f as it is, as encoding/json does for every null.
func (f *Fault) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var h header
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	k, err := Lookup(h.Kind)
	if err != nil {
		return err
	}
	p := k.New()
	if err := json.Unmarshal(b, p); err != nil {
		return fmt.Errorf("%s's parameters: %w", h.Kind, err)
	}
	*f = Fault{Kind: h.Kind, At: seconds(h.AtS), For: seconds(h.ForS), Replica: AllReplicas, Params: p}
	if h.Replica != nil {
		f.Replica = *h.Replica
	}
	return nil
}
