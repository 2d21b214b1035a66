// Package reports renders runs: the human table, suite and comparison
// tables, trends, JUnit XML and self-contained HTML pages with inline SVG
// plots, all from the summary.json schema (package summary). It judges
// nothing: verdicts come from the harness (package verify), a run held
// against a baseline from package regression, and the metrics compared
// across runs from package metric.
package reports
