package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/hbharness/hbharness"

// rules says which top-level folders each folder may never reach, directly
// or through anything it imports, its tests included.
func rules() map[string][]string {
	return map[string][]string{
		"reference": {"harness", "scenarios", "reports", "cmd"},
		"scenarios": {"harness", "reports", "cmd"},
		"harness":   {"reports", "runfolder", "cmd"},
		"internal":  {"harness", "scenarios", "reports", "cmd"},
		"reports":   {"runfolder", "cmd"},
		"runfolder": {"cmd"},
		// faults describes a fault for every layer, from the scenario file
		// to summary.json: it leans on none of them.
		"faults": {"reference", "harness", "scenarios", "reports", "runfolder", "cmd", "internal"},
	}
}

// graph maps a package (path inside the module) to the module packages its
// files import; tests holds what its _test.go files import on top.
type graph struct {
	imports map[string][]string
	tests   map[string][]string
	// outside holds what a package's own files import from other modules
	// (neither the standard library nor this module).
	outside map[string][]string
}

// contractRule says what the harness may import of the reference: the
// contract (the API, the heartbeat vocabulary, the settings and the names
// in package contract) and the constructor (the root package reference),
// never the machinery behind them (docs/design.md#architecture); its tests
// may also write through the test support. The contract packages import
// nothing of the reference but each other, so that importing them brings
// none of it along.
type contractRule struct {
	contract    []string
	constructor string
	testSupport string
}

func harnessContract() contractRule {
	return contractRule{
		contract:    []string{"reference/antenna", "reference/contract", "reference/heartbeat", "reference/settings"},
		constructor: "reference",
		testSupport: "reference/referencetest",
	}
}

func TestLayering(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	g := readGraph(t, root)
	require.Contains(t, g.imports, "reference", "the module was read from %s", root)
	for _, v := range violations(g, rules()) {
		t.Error(v)
	}
	for _, pkg := range harnessContract().contract {
		require.Contains(t, g.imports, pkg, "a contract package the rule names exists")
	}
	for _, v := range contractViolations(g, harnessContract()) {
		t.Error(v)
	}
}

// The contract rule's checker on a fake graph: a harness package that
// reaches past the contract, directly or in its tests, a contract package
// that imports the machinery, and test support used outside tests are each
// named; the constructor's own imports are not the harness's.
func TestContractViolationsNameTheEdge(t *testing.T) {
	g := graph{
		imports: map[string][]string{
			"harness/runner":          {"reference", "reference/contract", "reference/store", "harness/observe"},
			"harness/observe":         {"reference/heartbeat", "reference/referencetest"},
			"harness/fleet":           {"reference/antenna"},
			"reference":               {"reference/store", "reference/gate", "reference/contract"},
			"reference/contract":      {"reference/heartbeat"},
			"reference/heartbeat":     {"reference/antenna"},
			"reference/antenna":       nil,
			"reference/settings":      {"reference/gate"},
			"reference/store":         {"reference/heartbeat"},
			"reference/gate":          nil,
			"reference/referencetest": {"reference/store"},
			"cmd/hbharness":           {"reference/store"},
		},
		tests: map[string][]string{
			"harness/fleet":  {"reference/referencetest"},
			"harness/runner": {"reference/gate"},
		},
	}
	got := contractViolations(g, harnessContract())
	require.ElementsMatch(t, []string{
		"harness/runner imports reference/store: harness may import from reference only reference/antenna, reference/contract, reference/heartbeat, reference/settings and reference",
		"harness/runner (tests) imports reference/gate: harness may import from reference only reference/antenna, reference/contract, reference/heartbeat, reference/settings and reference (and reference/referencetest in tests)",
		"harness/observe imports reference/referencetest: reference/referencetest is for tests only",
		"reference/settings imports reference/gate: a contract package imports nothing of the reference but the contract",
	}, got)
	require.Empty(t, contractViolations(graph{imports: map[string][]string{"harness/fleet": {"reference/antenna"}, "reference/antenna": nil}}, harnessContract()),
		"the contract is the harness's to import")
}

// contractViolations lists every direct import that breaks r.
func contractViolations(g graph, r contractRule) []string {
	allowed := append(slices.Clone(r.contract), r.constructor)
	list := strings.Join(r.contract, ", ") + " and " + r.constructor
	var out []string
	for pkg, imps := range g.imports {
		for _, imp := range imps {
			switch {
			case imp == r.testSupport && pkg != r.testSupport:
				out = append(out, pkg+" imports "+imp+": "+r.testSupport+" is for tests only")
			case folder(pkg) == "harness" && folder(imp) == "reference" && !slices.Contains(allowed, imp):
				out = append(out, pkg+" imports "+imp+": harness may import from reference only "+list)
			case slices.Contains(r.contract, pkg) && folder(imp) == "reference" && !slices.Contains(r.contract, imp):
				out = append(out, pkg+" imports "+imp+": a contract package imports nothing of the reference but the contract")
			}
		}
	}
	for pkg, imps := range g.tests {
		for _, imp := range imps {
			if folder(pkg) == "harness" && folder(imp) == "reference" && !slices.Contains(allowed, imp) && imp != r.testSupport {
				out = append(out, pkg+" (tests) imports "+imp+": harness may import from reference only "+list+" (and "+r.testSupport+" in tests)")
			}
		}
	}
	slices.Sort(out)
	return out
}

// The checker itself: an offending edge anywhere on the way is found and
// named with the chain that leads to it.
func TestViolationsNameTheChain(t *testing.T) {
	g := graph{
		imports: map[string][]string{
			"reference/api":     {"reference/store"},
			"reference/store":   {"internal/util"},
			"internal/util":     {"harness/verify"},
			"harness/verify":    nil,
			"scenarios":         {"reference/antenna"},
			"reference/antenna": nil,
			"reports":           {"harness/verify"},
		},
		tests: map[string][]string{"scenarios": {"reports"}},
	}
	got := violations(g, rules())
	require.Len(t, got, 5)
	require.Contains(t, got, "reference/api imports harness/verify (reference/api → reference/store → internal/util → harness/verify): reference must not depend on harness")
	require.Contains(t, got, "scenarios (tests) imports reports (scenarios → reports): scenarios must not depend on reports")
	require.Contains(t, got, "scenarios (tests) imports harness/verify (scenarios → reports → harness/verify): scenarios must not depend on harness")
	require.Empty(t, violations(graph{imports: map[string][]string{"reports": {"harness/verify"}, "harness/verify": nil}}, rules()),
		"reports may read the harness")
}

func readGraph(t *testing.T, root string) graph {
	t.Helper()
	g := graph{imports: map[string][]string{}, tests: map[string][]string{}, outside: map[string][]string{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "out" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		dst := g.imports
		if strings.HasSuffix(path, "_test.go") {
			dst = g.tests
		}
		if _, ok := g.imports[pkg]; !ok {
			g.imports[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			inner, ok := strings.CutPrefix(p, module+"/")
			if ok && !slices.Contains(dst[pkg], inner) {
				dst[pkg] = append(dst[pkg], inner)
			}
			if !ok && !stdlib(p) && !strings.HasSuffix(path, "_test.go") && !slices.Contains(g.outside[pkg], p) {
				g.outside[pkg] = append(g.outside[pkg], p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return g
}

// violations lists every package that reaches a folder its own folder may
// not depend on, with the shortest chain of imports that gets it there.
func violations(g graph, forbidden map[string][]string) []string {
	var out []string
	pkgs := make([]string, 0, len(g.imports))
	for p := range g.imports {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, pkg := range pkgs {
		top := folder(pkg)
		for _, withTests := range []bool{false, true} {
			start := slices.Clone(g.imports[pkg])
			label := pkg
			if withTests {
				if len(g.tests[pkg]) == 0 {
					continue
				}
				start = g.tests[pkg]
				label = pkg + " (tests)"
			}
			for dep, chain := range reach(g, pkg, start) {
				if slices.Contains(forbidden[top], folder(dep)) && folder(dep) != top {
					out = append(out, label+" imports "+dep+" ("+strings.Join(chain, " → ")+"): "+top+" must not depend on "+folder(dep))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reach walks breadth-first from start and returns, for every package
// reached, the chain from pkg to it.
func reach(g graph, pkg string, start []string) map[string][]string {
	chains := map[string][]string{}
	queue := []string{}
	for _, s := range start {
		if _, seen := chains[s]; !seen && s != pkg {
			chains[s] = []string{pkg, s}
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range g.imports[cur] {
			if _, seen := chains[next]; seen || next == pkg {
				continue
			}
			chains[next] = append(slices.Clone(chains[cur]), next)
			queue = append(queue, next)
		}
	}
	return chains
}

func folder(pkg string) string {
	top, _, _ := strings.Cut(pkg, "/")
	return top
}
