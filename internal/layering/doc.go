// Package layering holds the test that keeps data flowing one way through
// the module (docs/design.md#architecture): scenario → harness → reports, with the
// reference under test beneath them all and cmd on top. It has no code of
// its own; the rules are in layering_test.go.
package layering
