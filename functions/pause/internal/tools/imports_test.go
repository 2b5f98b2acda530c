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

// TestLayersStayApart holds the layering the README promises: the DR API client and the ledger
// know no chat, and the Slack side knows no FaaS and no AWS (the ledger reaches DynamoDB through
// a client main hands it).
func TestLayersStayApart(t *testing.T) {
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{pkg: "github.com/dws-dr/drpause/bot/...", forbidden: []string{"github.com/aws/", "github.com/dws-dr/drpause/pkg/awsapi", "github.com/dws-dr/drpause/functions/"}},
		{pkg: "github.com/dws-dr/drpause/pkg/drapi", forbidden: []string{"github.com/slack-go/", "github.com/aws/"}},
		{pkg: "github.com/dws-dr/drpause/pkg/ledger", forbidden: []string{"github.com/aws/", "github.com/dws-dr/drpause/pkg/awsapi", "github.com/slack-go/"}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tt.pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", tt.pkg, err, out)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, "context") {
				t.Fatalf("go list -deps %s: got %d packages; want its dependencies", tt.pkg, len(deps))
			}
			for _, p := range deps {
				for _, f := range tt.forbidden {
					if strings.HasPrefix(p, f) {
						t.Errorf("%s depends on %s; want nothing under %s", tt.pkg, p, f)
					}
				}
			}
		})
	}
}
