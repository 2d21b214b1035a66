package scenarios

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a scenario file, located precisely enough
// that the reader can go straight to it in an editor.
type Problem struct {
	File  string // file path, or "builtin:NAME"
	Line  int    // 1-based; 0 when the problem concerns the whole file
	Field string // path like fleet[0].poll_every; empty for file-level problems
	Msg   string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError carries every problem found in a scenario, not just the
// first, so that one edit-and-retry cycle can fix them all.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
