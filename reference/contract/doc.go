// Package contract is what the harness may know of the reference beyond
// the wire protocol (package antenna), the heartbeat vocabulary (package
// heartbeat) and the settings (package settings): the strategies' names and
// the target each throttles a call under, the gate's failure policies and
// resolution, the seeded keys, the names in the schema an observer reads,
// and the bugs the harness's own tests may plant. It imports nothing of the
// reference but those three, so the harness can import it without the
// reference's machinery; the root package reference is what builds a
// replica (docs/design.md#architecture).
package contract
