package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hbharness/hbharness/summary"
)

// CompareSchema identifies compare.json.
const CompareSchema = "hbharness.compare/v1"

// comparisonFile is compare.json: every run of a comparison, whole, and
// each strategy's aggregates.
type comparisonFile struct {
	Schema   string `json:"schema"`
	Scenario string `json:"scenario"`
	// Repeat is the most runs any strategy had; Order says how they were
	// scheduled.
	Repeat     int                 `json:"repeat"`
	Order      string              `json:"order"`
	Strategies []StrategyAggregate `json:"strategies"`
	Runs       []comparisonRun     `json:"runs"`
}

type comparisonRun struct {
	Strategy string `json:"strategy"`
	// Repeat counts a strategy's runs from 1; Dir is the run's folder,
	// relative to compare.json's.
	Repeat  int             `json:"repeat"`
	Dir     string          `json:"dir,omitempty"`
	Summary summary.Summary `json:"summary"`
}

// WriteComparisonJSON writes compare.json for a comparison written into
// dir: every run's summary, in the order they ran, and per strategy the
// median, min and max of each metric over its usable runs, with the best
// and what is within noise of it marked as in the table.
func WriteComparisonJSON(w io.Writer, runs []summary.Summary, dir string) error {
	cols, err := comparisonColumns(runs)
	if err != nil {
		return err
	}
	f := comparisonFile{Schema: CompareSchema, Scenario: runs[0].Scenario, Order: "interleaved", Strategies: aggregate(cols)}
	seen := map[string]int{}
	for _, s := range runs {
		name := s.RunName()
		seen[name]++
		f.Repeat = max(f.Repeat, seen[name])
		r := comparisonRun{Strategy: name, Repeat: seen[name], Summary: s}
		r.Summary.Schema = summary.Schema
		if s.OutDir != "" && dir != "" {
			if rel, err := filepath.Rel(dir, s.OutDir); err == nil {
				r.Dir = filepath.ToSlash(rel)
			}
		}
		f.Runs = append(f.Runs, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("encode compare.json of %s: %w", f.Scenario, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write compare.json of %s: %w", f.Scenario, err)
	}
	return nil
}
