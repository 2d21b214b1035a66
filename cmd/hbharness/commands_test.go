package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command is named once, and its usage lists each flag its own flag
// set declares: the one source help and docs/cli.md are drawn from.
func TestEveryCommandShowsItsOwnFlags(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			for _, n := range []string{c.name, c.formerly} {
				if n == "" {
					continue
				}
				require.False(t, seen[n], "%s names two commands", n)
				seen[n] = true
			}
			require.NotEmpty(t, c.summary)
			require.NotEmpty(t, c.synopsis)
			var b strings.Builder
			require.NoError(t, writeUsage(&b, c))
			usage := b.String()
			assert.True(t, strings.HasPrefix(usage, "usage: hbharness "+c.name), usage)
			listed := map[string]bool{}
			for _, line := range strings.Split(usage, "\n") {
				if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "-") {
					listed[strings.TrimLeft(f[0], "-")] = true
				}
			}
			c.flags(discardConsole()).VisitAll(func(f *flag.Flag) {
				assert.True(t, listed[f.Name], "%s's usage lists -%s:\n%s", c.name, f.Name, usage)
			})
		})
	}
}

// help, -h and a refused command line, through the binary: the exit code,
// and which stream says what.
func TestHelpAndUnknownCommands(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    []string
		stderr    []string
		notStdout string
	}{
		{"help lists the commands", []string{"help"}, 0, []string{"usage: hbharness COMMAND", "trend", "scenarios", "exit codes"}, nil, ""},
		{"--help lists the commands", []string{"--help"}, 0, []string{"commands:"}, nil, ""},
		{"no command lists them on stderr", nil, 2, nil, []string{"commands:", "run "}, "commands:"},
		{"help CMD", []string{"help", "compare"}, 0, []string{"usage: hbharness compare", "--strategies", "--repeat int", "(default 1)"}, nil, ""},
		{"CMD -h", []string{"gc", "-h"}, 0, []string{"usage: hbharness gc", "--older-than duration"}, nil, ""},
		{"help of a command without flags", []string{"help", "scenarios"}, 0, []string{"usage: hbharness scenarios"}, nil, "flags:"},
		{"help of the former name", []string{"help", "history"}, 0, []string{"usage: hbharness trend", "--metrics"}, []string{"history was renamed trend"}, ""},
		{"help UNKNOWN", []string{"help", "launch"}, 2, nil, []string{`unknown command "launch"`, "commands:"}, "usage"},
		{"help of two commands", []string{"help", "run", "suite"}, 2, nil, []string{"help takes one command", "usage: hbharness help"}, "usage"},
		{"unknown command", []string{"launch"}, 2, nil, []string{`unknown command "launch"`, "trend"}, "usage"},
		{"a bad flag names the command's usage", []string{"compare", "--strategy", "inline"}, 2, nil,
			[]string{"flag provided but not defined: -strategy", "usage: hbharness compare", "`hbharness help compare`"}, "usage"},
		{"a stray argument", []string{"scenarios", "steady"}, 2, nil, []string{`unexpected argument "steady"`}, "steady"},
		{"trend without folders", []string{"trend"}, 2, nil, []string{"give one or more", "usage: hbharness trend"}, "usage"},
		{"the former name still runs, saying so", []string{"history"}, 2, nil, []string{"history was renamed trend", "trend: give one or more"}, "usage"},
		{"version", []string{"version", "-h"}, 0, []string{"usage: hbharness version"}, nil, "hbharness dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, nil, tt.args...)
			require.Equal(t, tt.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			for _, w := range tt.stdout {
				assert.Contains(t, stdout, w)
			}
			for _, w := range tt.stderr {
				assert.Contains(t, stderr, w)
			}
			if tt.notStdout != "" {
				assert.NotContains(t, stdout, tt.notStdout)
			}
		})
	}
}
