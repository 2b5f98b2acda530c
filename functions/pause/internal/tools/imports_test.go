package tools_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const binary = "github.com/dws-dr/drpause/functions/pause"

// tooling is what builds, runs and tests the binary but never ships in it: this tree, the Slack
// double and the log buffer of the tests.
var tooling = []string{
	"github.com/dws-dr/drpause/functions/pause/internal/tools",
	"github.com/dws-dr/drpause/bot/slacktest",
	"github.com/dws-dr/drpause/pkg/logtest",
}

// TestBinaryNeverImportsTools lists every package the binary is built from, with the build tags
// of the Makefile and without, and fails if one of them is tooling.
func TestBinaryNeverImportsTools(t *testing.T) {
	// A misspelt name would make the check below pass for nothing.
	if out, err := exec.Command("go", append([]string{"list"}, tooling...)...).CombinedOutput(); err != nil {
		t.Fatalf("go list %v: %v\n%s", tooling, err, out)
	}
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
			for _, tool := range tooling {
				if p == tool || strings.HasPrefix(p, tool+"/") {
					t.Errorf("tags %q: the binary depends on %s; want no package under %s", tags, p, tool)
				}
			}
		}
	}
}
