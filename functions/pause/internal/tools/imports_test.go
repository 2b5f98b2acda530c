package tools_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	binary = "github.com/dws-dr/drpause/functions/pause"
	tools  = "github.com/dws-dr/drpause/functions/pause/internal/tools"
)

// TestBinaryNeverImportsTools lists every package the binary is built from, with the build tags
// of the Makefile and without, and fails if one of them is tooling.
func TestBinaryNeverImportsTools(t *testing.T) {
	for _, tags := range []string{"", "lambda.norpc"} {
		out, err := exec.Command("go", "list", "-deps", "-tags", tags, binary).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps -tags %q: %v\n%s", tags, err, out)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, binary+"/internal/lambdaentry") {
			t.Fatalf("go list -deps -tags %q: got %d packages without lambdaentry; want the binary's dependencies", tags, len(deps))
		}
		for _, p := range deps {
			if p == tools || strings.HasPrefix(p, tools+"/") {
				t.Errorf("tags %q: the binary depends on %s; want no package under %s", tags, p, tools)
			}
		}
	}
}
