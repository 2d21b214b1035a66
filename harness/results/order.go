package results

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Order rewrites the results file at path in the order of intended sends,
// and numbers each attack's results from 0 in that order. A stream holds
// results in the order requests ended, while each is stamped with the
// instant it was meant to leave; `vegeta report` and `vegeta encode` take
// any order, but `vegeta plot` follows each attack's sequence numbers from
// 0 and needs the stamps to rise along them, as they do in a file vegeta's
// own attacker writes. The file is replaced only once the ordered copy is
// whole; all of it is held in memory meanwhile (a few hundred bytes per
// request).
func Order(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ordering results: %w", err)
	}
	var all []vegeta.Result
	dec := vegeta.NewDecoder(bufio.NewReaderSize(f, 256<<10))
	for {
		var r vegeta.Result
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("ordering %s: result %d does not decode, so the file was left as it is: %w", path, len(all)+1, err)
		}
		all = append(all, r)
	}
	f.Close()

	slices.SortStableFunc(all, func(a, b vegeta.Result) int { return a.Timestamp.Compare(b.Timestamp) })
	next := map[string]uint64{}
	for i := range all {
		all[i].Seq = next[all[i].Attack]
		next[all[i].Attack]++
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), ".results-*.bin")
	if err != nil {
		return fmt.Errorf("ordering results: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 256<<10)
	enc := vegeta.NewEncoder(w)
	for i := range all {
		if err := enc.Encode(&all[i]); err != nil {
			tmp.Close()
			return fmt.Errorf("ordering %s: %w", path, err)
		}
	}
	if err := cmp.Or(w.Flush(), tmp.Chmod(0o644)); err != nil {
		tmp.Close()
		return fmt.Errorf("ordering %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ordering %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("ordering %s: %w", path, err)
	}
	return nil
}
