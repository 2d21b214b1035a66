package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hbharness/hbharness/summary"
)

// readSummaries reads a summary.json, or every summary.json under a folder
// (a run, a suite, a compare --repeat, or a folder of nightly runs). Each
// summary's OutDir is the folder it was found in.
func readSummaries(path string) ([]summary.Summary, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w (give a summary.json, or a folder of runs)", err)
	}
	if !fi.IsDir() {
		s, err := readSummaryFile(path)
		if err != nil {
			return nil, err
		}
		return []summary.Summary{s}, nil
	}
	var out []summary.Summary
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != path && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != "summary.json" {
			return nil
		}
		s, err := readSummaryFile(p)
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no summary.json (give a run, suite or compare folder, or a summary.json)", path)
	}
	return out, nil
}

func readSummaryFile(path string) (summary.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return summary.Summary{}, err
	}
	defer f.Close()
	s, err := summary.ReadJSON(f)
	if err != nil {
		return summary.Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	s.OutDir = filepath.Dir(path)
	return s, nil
}
