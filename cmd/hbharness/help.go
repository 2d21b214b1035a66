package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// generalNotes is what every command shares, said once: the list of
// commands ends with it, and docs/cli.md opens with it.
const generalNotes = `services: DATABASE_URL, REDIS_URL, BROKER_URL (default: REDIS_URL), NATS_URL.
output: logs in each run's DIR/run.log (-v on run, compare, suite: on stderr too), every request
  in DIR/results.bin for vegeta report|plot|encode, progress on stderr.
exit codes: 0 every verdict matched, 1 a verdict did not, 2 usage/config/environment error.`

// cmdHelp lists the commands, or shows one's usage: `hbharness help [COMMAND]`.
func cmdHelp(args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		return writeCommands(stdout)
	case len(args) > 1:
		return commandLinef("help takes one command, got %d arguments", len(args))
	case args[0] == "-h", args[0] == "-help", args[0] == "--help":
		return errHelpShown
	}
	c, ok := lookup(args[0], stderr)
	if !ok {
		return unknownCommand(args[0])
	}
	return writeUsage(stdout, c)
}

// unknownCommand refuses a command that is not in the table, listing those
// that are.
func unknownCommand(name string) error {
	var b strings.Builder
	writeCommands(&b) //nolint:errcheck // a strings.Builder does not fail
	return usagef("unknown command %q\n\n%s", name, strings.TrimRight(b.String(), "\n"))
}

// writeCommands lists the commands from the table, with the notes they share.
func writeCommands(w io.Writer) error {
	var b strings.Builder
	b.WriteString("hbharness — load-test and verify a throttled, deferred heartbeat\n\n")
	b.WriteString("usage: hbharness COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\n`hbharness help COMMAND` or `hbharness COMMAND -h`: a command's usage and flags.\n\n")
	b.WriteString(generalNotes + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeUsage shows one command's usage: its synopsis, its flags as its own
// flag set declares them, and its notes.
func writeUsage(w io.Writer, c command) error {
	var b strings.Builder
	writeSynopsis(&b, c)
	b.WriteString("\n" + c.summary)
	if c.formerly != "" {
		fmt.Fprintf(&b, " (formerly %s)", c.formerly)
	}
	b.WriteString("\n")
	if rows := flagRows(c.flags(discardConsole())); len(rows) > 0 {
		b.WriteString("\nflags:\n")
		for _, r := range rows {
			b.WriteString("  " + strings.TrimRight(r.flag+" "+r.arg, " ") + "\n")
			usage := r.usage
			if r.def != "" {
				usage += " (default " + r.def + ")"
			}
			for _, line := range wrap(usage, 84) {
				b.WriteString("        " + line + "\n")
			}
		}
	}
	if c.notes != "" {
		b.WriteString("\n" + c.notes + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSynopsis writes the shapes of a command's command line.
func writeSynopsis(b *strings.Builder, c command) {
	for i, s := range c.synopsis {
		lead := "usage: "
		if i > 0 {
			lead = "       "
		}
		b.WriteString(strings.TrimRight(lead+"hbharness "+c.name+" "+s, " ") + "\n")
	}
}

// writeRefused follows a refused command line: what the command takes, in
// short, so that the error stays in sight.
func writeRefused(w io.Writer, c command) error {
	var b strings.Builder
	writeSynopsis(&b, c)
	fmt.Fprintf(&b, "`hbharness help %s` lists its flags.\n", c.name)
	_, err := io.WriteString(w, b.String())
	return err
}

// discardConsole is a console for declaring a command's flags only to
// list them: nothing is ever written to it.
func discardConsole() *console { return newConsole(io.Discard, io.Discard, nil) }

// flagRow is one flag as help and docs/cli.md show it.
type flagRow struct {
	flag  string // --name
	arg   string // what it takes, empty for a switch
	def   string // its default, empty when that is the zero value
	usage string
}

// flagRows lists a flag set's flags in name order.
func flagRows(fs *flag.FlagSet) []flagRow {
	var rows []flagRow
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		dashes := "--"
		if len(f.Name) == 1 {
			dashes = "-" // -v, as it is written
		}
		rows = append(rows, flagRow{flag: dashes + f.Name, arg: arg, def: nonZeroDefault(f), usage: usage})
	})
	return rows
}

// nonZeroDefault is a flag's default, or "" when it is its type's zero
// value (an empty string, false, 0, an unset scale), which says nothing.
func nonZeroDefault(f *flag.Flag) string {
	t := reflect.TypeOf(f.Value)
	var zero reflect.Value
	if t.Kind() == reflect.Pointer {
		zero = reflect.New(t.Elem())
	} else {
		zero = reflect.Zero(t)
	}
	if v, ok := zero.Interface().(flag.Value); ok && v.String() == f.DefValue {
		return ""
	}
	return f.DefValue
}

// wrap breaks text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) > width:
			lines = append(lines, line)
			line = word
		default:
			line += " " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
