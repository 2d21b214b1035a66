package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// builtinFS holds the built-in scenarios, one file per scenario named NAME.yaml.
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin is one built-in scenario, as listed by `hbharness scenarios`.
type Builtin struct {
	Name        string
	Description string
	Quick       bool // in the pull-request subset
	Predeploy   bool // in the pre-deploy subset, run against a deployment
}

// Builtins lists the built-in scenarios sorted by name.
func Builtins(opt Options) []Builtin {
	names := builtinNames()
	out := make([]Builtin, 0, len(names))
	for _, name := range names {
		b := Builtin{Name: name}
		if spec, err := loadBuiltin(name, opt); err != nil {
			// Tests keep this from happening; if it does, say so in the listing.
			b.Description = "does not parse: " + strings.SplitN(err.Error(), "\n", 2)[0]
		} else {
			b.Description, b.Quick, b.Predeploy = spec.Description, spec.Quick, spec.Predeploy
		}
		out = append(out, b)
	}
	return out
}

func builtinNames() []string {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil // the embed pattern guarantees the directory exists
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func loadBuiltin(name string, opt Options) (*Spec, error) {
	data, err := builtinFS.ReadFile(path.Join("builtin", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("read built-in scenario %q: %w", name, err)
	}
	return Parse(data, "builtin:"+name, opt)
}

// Load reads a scenario by built-in name first, else as a file path.
func Load(nameOrPath string, opt Options) (*Spec, error) {
	for _, name := range builtinNames() {
		if name == nameOrPath {
			return loadBuiltin(name, opt)
		}
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("scenario %q is neither a built-in (%s) nor an existing file: %w",
				nameOrPath, strings.Join(builtinNames(), ", "), err)
		}
		return nil, fmt.Errorf("read scenario file %q: %w", nameOrPath, err)
	}
	return Parse(data, nameOrPath, opt)
}
