package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks a yaml.Node tree and records every problem it meets instead
// of stopping at the first, so one run of the parser reports them all. Each
// helper returns ok=false after recording a problem; callers then keep the
// default and carry on.
type decoder struct {
	file     string
	problems []Problem
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems, ordered as they appear in the file, or nil.
func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].Line < d.problems[j].Line })
	return &ValidationError{Problems: d.problems}
}

// maxAliasHops bounds alias chasing; the parser never builds cycles of plain
// aliases, but a bound keeps that a non-question.
const maxAliasHops = 64

// resolve follows aliases so that *anchor reads like the anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasHops; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind != yaml.ScalarNode:
		return "an unresolvable alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("the text %q", n.Value)
	case "!!bool":
		return "the boolean " + n.Value
	case "!!int", "!!float":
		return "the number " + n.Value
	}
	return fmt.Sprintf("%q (%s)", n.Value, n.ShortTag())
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// mapping reads a mapping node's fields, reporting unknown and repeated ones.
// A null node (e.g. "settings:" with nothing after it) reads as no fields.
func (d *decoder) mapping(n *yaml.Node, path string, known []string) (map[string]*yaml.Node, bool) {
	n = resolve(n)
	if isNull(n) {
		return map[string]*yaml.Node{}, true
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of fields (%s), got %s", strings.Join(known, ", "), describe(n))
		return nil, false
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	firstLine := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(n.Content[i], path, "field names must be plain words, got %s", describe(k))
			continue
		}
		name := k.Value
		switch {
		case name == "<<":
			d.errorf(k, path, "merge keys (<<) are not supported: write the fields out")
		case !slices.Contains(known, name):
			d.errorf(k, join(path, name), "unknown field%s (known fields: %s)", suggestion(name, known), strings.Join(known, ", "))
		case firstLine[name] != 0:
			d.errorf(k, join(path, name), "given twice (first on line %d)", firstLine[name])
		default:
			firstLine[name] = k.Line
			out[name] = v
		}
	}
	return out, true
}

// sequence reads a list; a null node reads as an empty list.
func (d *decoder) sequence(n *yaml.Node, field string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, field, "expected a list (one \"- \" item per line, or [a, b]), got %s", describe(n))
		return nil, false
	}
	return n.Content, true
}

// scalar checks that a node holds one non-null value.
func (d *decoder) scalar(n *yaml.Node, field, want string) (*yaml.Node, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		msg := "expected " + want + ", got " + describe(n)
		if isNull(n) {
			msg += " (give a value, or remove the field to use the default)"
		}
		d.errorf(n, field, "%s", msg)
		return nil, false
	}
	return n, true
}

func (d *decoder) str(n *yaml.Node, field string) (string, bool) {
	s, ok := d.scalar(n, field, "a string")
	if !ok {
		return "", false
	}
	return s.Value, true
}

func (d *decoder) enum(n *yaml.Node, field string, allowed []string) (string, bool) {
	s, ok := d.scalar(n, field, "one of "+strings.Join(allowed, ", "))
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s.Value) {
		d.errorf(s, field, "%q is not one of %s%s", s.Value, strings.Join(allowed, ", "), suggestion(s.Value, allowed))
		return "", false
	}
	return s.Value, true
}

// integer reads a whole number in [lowest, maxCount].
func (d *decoder) integer(n *yaml.Node, field string, lowest int) (int, bool) {
	s, ok := d.scalar(n, field, "a whole number")
	if !ok {
		return 0, false
	}
	if tag := s.ShortTag(); tag != "!!int" {
		if tag == "!!str" && s.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			d.errorf(s, field, "%q is quoted text: write the whole number without quotes", s.Value)
		} else {
			d.errorf(s, field, "expected a whole number, got %s", describe(s))
		}
		return 0, false
	}
	var v int64
	if err := s.Decode(&v); err != nil {
		d.errorf(s, field, "%s is out of range (at most %d)", s.Value, maxCount)
		return 0, false
	}
	if v < int64(lowest) {
		d.errorf(s, field, "%d is too small: must be at least %d", v, lowest)
		return 0, false
	}
	if v > maxCount {
		d.errorf(s, field, "%d is too large: must be at most %d", v, maxCount)
		return 0, false
	}
	return int(v), true
}

func (d *decoder) float(n *yaml.Node, field string) (float64, bool) {
	s, ok := d.scalar(n, field, "a number")
	if !ok {
		return 0, false
	}
	if tag := s.ShortTag(); tag != "!!int" && tag != "!!float" {
		d.errorf(s, field, "expected a number, got %s", describe(s))
		return 0, false
	}
	var v float64
	if err := s.Decode(&v); err != nil {
		d.errorf(s, field, "%s is not a number", s.Value)
		return 0, false
	}
	return v, true
}

// bareNumber matches a number written without a unit.
var bareNumber = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// duration reads a Go duration string ("90s", "1m30s"). Bare numbers are
// refused because their unit is a guess; 0 is the one exception, since zero
// is zero in every unit. Negative durations are never meaningful here.
func (d *decoder) duration(n *yaml.Node, field string, positive bool) (time.Duration, bool) {
	v, s, ok := d.anyDuration(n, field)
	if !ok {
		return 0, false
	}
	return d.checkDuration(s, field, v, positive)
}

// signedDuration reads a duration that may be negative (a clock behind).
func (d *decoder) signedDuration(n *yaml.Node, field string) (time.Duration, bool) {
	v, _, ok := d.anyDuration(n, field)
	return v, ok
}

func (d *decoder) anyDuration(n *yaml.Node, field string) (time.Duration, *yaml.Node, bool) {
	s, ok := d.scalar(n, field, "a duration like 5s or 1m30s")
	if !ok {
		return 0, nil, false
	}
	switch s.ShortTag() {
	case "!!str", "!!int", "!!float":
	default:
		d.errorf(s, field, "expected a duration like 5s or 1m30s, got %s", describe(s))
		return 0, nil, false
	}
	text := strings.TrimSpace(s.Value)
	if s.ShortTag() != "!!str" || bareNumber.MatchString(text) {
		if f, err := strconv.ParseFloat(text, 64); err == nil && f == 0 {
			return 0, s, true
		}
		d.errorf(s, field, "%q is not a duration (write %ss, not %s)", s.Value, text, text)
		return 0, nil, false
	}
	v, err := time.ParseDuration(text)
	if err != nil {
		d.errorf(s, field, "%q is not a duration (write it like 5s or 1m30s)", s.Value)
		return 0, nil, false
	}
	return v, s, true
}

func (d *decoder) checkDuration(n *yaml.Node, field string, v time.Duration, positive bool) (time.Duration, bool) {
	switch {
	case v < 0:
		d.errorf(n, field, "%s is negative: durations here are never negative", n.Value)
		return 0, false
	case v == 0 && positive:
		d.errorf(n, field, "must be more than zero")
		return 0, false
	}
	return v, true
}

func (d *decoder) rate(n *yaml.Node, field string) (Rate, bool) {
	s, ok := d.scalar(n, field, "a rate like 2000/s or 120/m")
	if !ok {
		return Rate{}, false
	}
	if s.ShortTag() != "!!str" {
		d.errorf(s, field, "%s has no unit (write it like %s/s or %s/m)", s.Value, s.Value, s.Value)
		return Rate{}, false
	}
	r, err := parseRate(s.Value)
	if err != nil {
		d.errorf(s, field, "%v", err)
		return Rate{}, false
	}
	return r, true
}

// keyList reads a list of 0-based key indexes below keys; keys <= 0 means the
// key count is unknown (fixtures were invalid), so only the form is checked.
func (d *decoder) keyList(n *yaml.Node, field string, keys int) ([]int, bool) {
	return d.indexList(n, field, keys, "key",
		"the fixtures make %d keys (projects × pipelines), so indexes run 0 to %d")
}

// indexList reads a list of distinct indexes below bound (0: unknown);
// outOfRange explains the bound with its two numbers, bound and bound-1.
func (d *decoder) indexList(n *yaml.Node, field string, bound int, noun, outOfRange string) ([]int, bool) {
	keys := bound
	items, ok := d.sequence(n, field)
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		d.errorf(resolve(n), field, "is empty: list at least one %s index, or remove the field to use all", noun)
		return nil, false
	}
	out := make([]int, 0, len(items))
	seen := map[int]bool{}
	for i, item := range items {
		path := fmt.Sprintf("%s[%d]", field, i)
		k, ok := d.integer(item, path, 0)
		if !ok {
			continue
		}
		switch {
		case keys > 0 && k >= keys:
			d.errorf(resolve(item), path, "%s index %d is out of range: "+outOfRange, noun, k, keys, keys-1)
		case seen[k]:
			d.errorf(resolve(item), path, "%s index %d is listed twice", noun, k)
		default:
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, len(out) == len(items)
}

// fmtDuration prints a duration the way a scenario file would ("10m", not "10m0s").
func fmtDuration(v time.Duration) string {
	s := v.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// suggestion offers the closest known word for a likely typo, or nothing.
func suggestion(got string, known []string) string {
	best, bestDist := "", math.MaxInt
	for _, k := range known {
		if dist := editDistance(got, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" || bestDist > max(2, len(got)/3, len(best)/3) {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// boolean reads true or false, and nothing YAML 1.1 would also call a bool.
func (d *decoder) boolean(n *yaml.Node, field string) (bool, bool) {
	s, ok := d.scalar(n, field, "true or false")
	if !ok {
		return false, false
	}
	switch {
	case s.ShortTag() == "!!bool" && (s.Value == "true" || s.Value == "false"):
		return s.Value == "true", true
	}
	d.errorf(s, field, "expected true or false, got %s", describe(s))
	return false, false
}
