//go:build race

package fleet

// The race detector slows every request several-fold; at the normal test scale
// the fleet would (correctly) report itself saturated instead of testing the
// schedule, so race runs stretch time instead.
const raceDetector = true
