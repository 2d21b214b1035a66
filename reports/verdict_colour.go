package reports

import "strings"

// ANSI colours for a run's verdict on a terminal, by the one colour rule the
// pages keep too: green a pass, red an unexpected failure, amber (yellow on
// a terminal) an expected one, grey what was not judged.
const (
	ansiGreen = "\x1b[32m"
	ansiRed   = "\x1b[31m"
	ansiAmber = "\x1b[33m"
	ansiGrey  = "\x1b[90m"
	ansiReset = "\x1b[0m"
)

// colourVerdict paints a verdict cell as suiteVerdict spells it. Off a
// terminal the caller does not call it: a file or a CI log gets plain text.
func colourVerdict(v string) string {
	word, rest, _ := strings.Cut(v, " ")
	var c string
	switch word {
	case "PASS":
		c = ansiGreen
	case "FAIL":
		c = ansiRed
	default: // INCONCLUSIVE, UNUSABLE, SKIPPED, INTERRUPTED: nothing proven
		c = ansiGrey
	}
	out := c + word + ansiReset
	if rest == "" {
		return out
	}
	if strings.HasPrefix(rest, "("+expectedFailLead) {
		return out + " " + ansiAmber + rest + ansiReset
	}
	return out + " " + c + rest + ansiReset
}
