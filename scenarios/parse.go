package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hbharness/hbharness/internal/modeltime"
	"github.com/hbharness/hbharness/reference/antenna"
)

var validName = regexp.MustCompile(`^[a-z0-9-]+$`)

func topFields() []string {
	return []string{"name", "description", "duration", "time_scale", "strategy", "failure_policy",
		"replicas", "allowed_errors", "settings", "fixtures", "fleet", "load", "faults", "expect", "runs", "quick", "predeploy"}
}

// Parse decodes and validates one scenario file. source names it in every
// problem (a file path, or "builtin:NAME"). The error, when not nil, is a
// *ValidationError listing every problem found.
func Parse(data []byte, source string, opt Options) (*Spec, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	d := &decoder{file: source}
	root := d.document(data)
	if root == nil {
		return nil, d.err()
	}
	spec := d.spec(root, opt)
	if err := d.err(); err != nil {
		return nil, err
	}
	spec.Source = source
	return spec, nil
}

// document returns the single top-level mapping, or nil after recording why
// there is none.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := decodeNode(dec, &doc)
	if errors.Is(err, io.EOF) {
		d.errorf(nil, "", "the file is empty: a scenario needs at least name, duration, and a fleet or load")
		return nil
	}
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	switch err := decodeNode(dec, &extra); {
	case err == nil:
		d.errorf(&extra, "", "a second YAML document starts here: a scenario file holds exactly one (remove the extra ---)")
		return nil
	case !errors.Is(err, io.EOF):
		d.syntaxError(err)
		return nil
	}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = resolve(doc.Content[0])
	}
	if isNull(root) {
		d.errorf(nil, "", "the file is empty: a scenario needs at least name, duration, and a fleet or load")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "", "the top level must be a mapping of fields (name: ..., duration: ...), got %s", describe(root))
		return nil
	}
	return root
}

// decodeNode keeps a parser panic on hostile input from taking the caller
// down: Parse promises an error, never a panic.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this input: %v", r)
		}
	}()
	return dec.Decode(n)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserProblem(m[2]) {
			line++ // the YAML library reports parser (not scanner) errors on 0-based lines
		}
		d.problems = append(d.problems, Problem{File: d.file, Line: line, Msg: "not valid YAML: " + m[2]})
		return
	}
	d.errorf(nil, "", "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// parserProblem reports whether a YAML error message comes from the parser
// stage, whose line numbers the library leaves 0-based.
func parserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>",
		"did not find expected <stream-start>", "did not find expected key",
		"did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

func (d *decoder) spec(root *yaml.Node, opt Options) *Spec {
	s := &Spec{
		TimeScale:     DefaultTimeScale,
		Strategy:      opt.DefaultStrategy,
		FailurePolicy: opt.DefaultPolicy,
		Replicas:      DefaultReplicas,
		Expect:        map[string]string{},
	}
	f, _ := d.mapping(root, "", topFields())

	if n, ok := f["quick"]; ok {
		s.Quick, _ = d.boolean(n, "quick")
	}
	if n, ok := f["predeploy"]; ok {
		s.Predeploy, _ = d.boolean(n, "predeploy")
	}
	if n, ok := f["name"]; ok {
		if v, ok := d.str(n, "name"); ok {
			if validName.MatchString(v) {
				s.Name = v
			} else {
				d.errorf(resolve(n), "name", "%q may only use a-z, 0-9 and -", v)
			}
		}
	} else {
		d.errorf(root, "name", "is required (lowercase letters, digits and -)")
	}
	if n, ok := f["description"]; ok {
		s.Description, _ = d.str(n, "description")
	}
	durationOK := false
	if n, ok := f["duration"]; ok {
		s.Duration, durationOK = d.duration(n, "duration", true)
	} else {
		d.errorf(root, "duration", "is required (model time, e.g. 10m)")
	}
	if n, ok := f["time_scale"]; ok {
		if v, ok := d.float(n, "time_scale"); ok {
			if scale, err := modeltime.New(v); err == nil {
				s.TimeScale = scale
			} else {
				d.errorf(resolve(n), "time_scale", "%v", err)
			}
		}
	}
	if n, ok := f["strategy"]; ok {
		if v, ok := d.enum(n, "strategy", opt.Strategies); ok {
			s.Strategy = v
		}
	}
	if n, ok := f["failure_policy"]; ok {
		if v, ok := d.enum(n, "failure_policy", opt.Policies); ok {
			s.FailurePolicy = v
		}
	}
	if n, ok := f["replicas"]; ok {
		if v, ok := d.integer(n, "replicas", 1); ok {
			s.Replicas = v
		}
	}
	if n, ok := f["allowed_errors"]; ok {
		s.AllowedErrors = d.allowance(n)
	}
	s.Settings, s.SampleEvery = d.settings(f["settings"])
	var keys int
	s.Fixtures, keys = d.fixtures(f["fixtures"])

	// The scenario's duration bounds every schedule; when it is itself invalid
	// those checks are skipped rather than reported against a bogus value.
	total := time.Duration(0)
	if durationOK {
		total = s.Duration
	}
	var fleetOK, loadOK bool
	s.Fleet, fleetOK = d.fleet(f["fleet"], total, keys, s.Fixtures.ServicesPerKey)
	s.Load, loadOK = d.attacks(f["load"], total, keys)
	s.Faults, s.RandomFaults = d.faults(f["faults"], total, s.Replicas)
	d.expect(f["expect"], s.Expect, opt)
	if n, ok := f["runs"]; ok {
		for _, top := range []string{"strategy", "expect"} {
			if v, given := f[top]; given {
				d.errorf(resolve(v), top, "runs: gives each run its own strategy and expect; remove the top-level %s", top)
			}
		}
		s.Runs = d.runs(n, f["settings"], opt)
		if len(s.Runs) > 0 {
			s.Strategy = s.Runs[0].Strategy
		}
	}
	if fleetOK && loadOK && len(s.Fleet) == 0 && len(s.Load) == 0 {
		d.errorf(root, "fleet", "the scenario sends nothing: give fleet at least one group or load at least one attack")
	}
	return s
}

// allowance decodes allowed_errors: a whole number, or a mapping of
// endpoint names to whole numbers.
func (d *decoder) allowance(n *yaml.Node) Allowance {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		v, _ := d.integer(n, "allowed_errors", 0)
		return Allowance{Total: v}
	}
	f, ok := d.mapping(n, "allowed_errors", antenna.Endpoints())
	if !ok {
		return Allowance{}
	}
	a := Allowance{PerEndpoint: map[string]int{}}
	for ep, v := range f {
		if x, ok := d.integer(v, "allowed_errors."+ep, 0); ok {
			a.PerEndpoint[ep] = x
		}
	}
	return a
}

func runFields() []string {
	return []string{"strategy", "label", "failure_policy", "settings", "expect"}
}

// runs decodes runs:, one entry per strategy, or per label where a strategy
// runs more than once (with other settings or another failure policy).
// A run's settings are the file's with the run's fields written over them.
func (d *decoder) runs(n *yaml.Node, top *yaml.Node, opt Options) []Run {
	items, ok := d.sequence(n, "runs")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errorf(resolve(n), "runs", "is empty: list at least one {strategy: ..., expect: ...}, or remove it")
		return nil
	}
	var out []Run
	first := map[string]int{}
	for i, item := range items {
		path := fmt.Sprintf("runs[%d]", i)
		f, ok := d.mapping(item, path, runFields())
		if !ok {
			continue
		}
		r := Run{Expect: map[string]string{}}
		if v, ok := f["label"]; ok {
			if err := resolve(v).Decode(&r.Label); err != nil || !labelPattern.MatchString(r.Label) {
				d.errorf(resolve(v), path+".label", "must be a short lowercase word or words-with-dashes (it names the run's folder), got %s", describe(resolve(v)))
			}
		}
		if v, ok := f["strategy"]; ok {
			var valid bool
			if r.Strategy, valid = d.enum(v, path+".strategy", opt.Strategies); valid {
				id := r.Strategy
				if r.Label != "" {
					id = r.Label
				}
				if line, dup := first[id]; dup {
					d.errorf(resolve(v), path+".strategy", "%s is run twice (first on line %d): give each run of it a distinct label", id, line)
					continue
				}
				first[id] = resolve(v).Line
			}
		} else {
			d.errorf(resolve(item), path+".strategy", "is required")
		}
		if v, ok := f["failure_policy"]; ok {
			r.FailurePolicy, _ = d.enum(v, path+".failure_policy", opt.Policies)
		}
		if v, ok := f["settings"]; ok {
			st, every := d.settings(overlay(top, v))
			r.Settings, r.SampleEvery = &st, every
		}
		d.expect(f["expect"], r.Expect, opt)
		out = append(out, r)
	}
	return out
}

var labelPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// overlay is the mapping top with over's fields written over it, so that a
// run's settings are judged whole, as the reference will run them.
func overlay(top, over *yaml.Node) *yaml.Node {
	over = resolve(over)
	if over == nil || over.Kind != yaml.MappingNode {
		return over // let the decoder say what is wrong with it
	}
	merged := &yaml.Node{Kind: yaml.MappingNode, Line: over.Line, Column: over.Column}
	overridden := map[string]bool{}
	for i := 0; i+1 < len(over.Content); i += 2 {
		overridden[over.Content[i].Value] = true
	}
	if top = resolve(top); top != nil && top.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(top.Content); i += 2 {
			if !overridden[top.Content[i].Value] {
				merged.Content = append(merged.Content, top.Content[i], top.Content[i+1])
			}
		}
	}
	merged.Content = append(merged.Content, over.Content...)
	return merged
}
