package scenarios

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) expect(n *yaml.Node, out map[string]string, opt Options) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "expect", "expected a mapping of invariant: %s, got %s", strings.Join(opt.Outcomes, "|"), describe(n))
		return
	}
	known := opt.Invariants
	firstLine := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(n.Content[i], "expect", "invariant names must be plain words, got %s", describe(k))
			continue
		}
		field := "expect." + k.Value
		switch {
		case !slices.Contains(known, k.Value):
			d.errorf(k, field, "unknown invariant%s (known: %s)", suggestion(k.Value, known), strings.Join(known, ", "))
			continue
		case firstLine[k.Value] != 0:
			d.errorf(k, field, "given twice (first on line %d)", firstLine[k.Value])
			continue
		}
		firstLine[k.Value] = k.Line
		if outcome, ok := d.enum(v, field, opt.Outcomes); ok {
			out[k.Value] = outcome
		}
	}
}
