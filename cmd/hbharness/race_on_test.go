//go:build race

package main

// Under the race detector the binary the tests run is built with it too, so
// the command's own code is checked, not just the test process's.
var raceFlags = []string{"-race"}
