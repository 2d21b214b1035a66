// Package antenna is the contract between Antenna and its pull-mode workers
// (docs/design.md#the-pattern-under-test, #wire-protocol and #schema), held in one place: the API v2 paths and bodies, the
// tokens, the gate-key scheme, and the endpoint names scenarios use. The
// reference serves it, the fleet and the attacks speak it, the runner reads
// keys with it; none of them spells any of it again.
package antenna
