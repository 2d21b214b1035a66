package summary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes s as indented summary.json, stamped with Schema. Empty
// lists are written as [] so that consumers can iterate without null checks.
func WriteJSON(w io.Writer, s Summary) error {
	s.Schema = Schema
	s.Invariants = nonNil(s.Invariants)
	s.Keys = nonNil(s.Keys)
	s.Services = nonNil(s.Services)
	s.Faults = nonNil(s.Faults)
	s.Notes = nonNil(s.Notes)
	// Encode into memory first so that a value JSON cannot hold (NaN, ±Inf)
	// leaves no half-written file behind.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode summary of %s/%s: %w (a non-finite number usually means a division by a zero duration)",
			s.Scenario, s.Strategy, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write summary of %s/%s: %w", s.Scenario, s.Strategy, err)
	}
	return nil
}

// ReadJSON reads a summary.json written by WriteJSON. It refuses any other
// schema rather than guess at renamed fields.
func ReadJSON(r io.Reader) (Summary, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Summary{}, fmt.Errorf("read summary: %w", err)
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Summary{}, fmt.Errorf("summary is not valid JSON: %w", err)
	}
	switch {
	case head.Schema == nil:
		return Summary{}, fmt.Errorf("summary has no \"schema\" field: not an hbharness summary (want %q)", Schema)
	case *head.Schema != Schema:
		return Summary{}, fmt.Errorf("summary schema is %q, this build reads only %q: use the hbharness version that wrote it", *head.Schema, Schema)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return Summary{}, fmt.Errorf("decode %s summary: %w", Schema, err)
	}
	return s, nil
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
