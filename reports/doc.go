// Package reports renders runs: the human table, suite and comparison
// tables, JUnit XML and a self-contained HTML report with inline SVG plots,
// all from the summary.json schema (package summary). It only reads what the
// harness observed and verified; it never judges anything itself.
package reports
