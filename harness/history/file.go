package history

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// FileSchema identifies the saved form of a History (gzipped JSON, durations
// in nanoseconds), which `hbharness report` reads to draw a past run's
// charts again. Renaming or dropping a field needs a new schema.
const FileSchema = "hbharness.history/v1"

// file is the saved form: the schema beside the history, so that a reader
// can refuse a layout it does not know instead of drawing nonsense.
type file struct {
	Schema  string   `json:"schema"`
	History *History `json:"history"`
}

// Save saves h to w as gzipped JSON.
func Save(w io.Writer, h *History) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	if err := json.NewEncoder(bw).Encode(file{Schema: FileSchema, History: h}); err != nil {
		return fmt.Errorf("encode history: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

// Load reads a history written by Save. It refuses any other schema.
func Load(r io.Reader) (*History, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("history is not gzip data (%w): was it written by hbharness?", err)
	}
	defer zr.Close()
	var f file
	if err := json.NewDecoder(zr).Decode(&f); err != nil {
		return nil, fmt.Errorf("decode history: %w (the file may be truncated)", err)
	}
	switch {
	case f.Schema != FileSchema:
		return nil, fmt.Errorf("history schema is %q, this build reads only %q: use the hbharness version that wrote it", f.Schema, FileSchema)
	case f.History == nil:
		return nil, errors.New("history file holds no history")
	}
	return f.History, nil
}
