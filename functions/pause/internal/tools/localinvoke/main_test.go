package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build compiles the bootstrap, as the Makefile's local-invoke target does, and the pinned
// emulator into dir.
func build(t *testing.T, dir string) (bootstrap, rie string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", dir+string(os.PathSeparator),
		"github.com/dws-dr/drpause/functions/pause", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "pause"), filepath.Join(dir, "aws-lambda-rie")
}

// TestLocalInvoke runs the recorded click through the emulator with env.json, as `make
// local-invoke EVENT=events/button-click.json` does: the click is answered, the pause it defers
// runs from the self-invocation and reports stopped to Slack, and the tracked event is untouched.
func TestLocalInvoke(t *testing.T) {
	bootstrap, rie := build(t, t.TempDir())
	const event = "../../../../../events/button-click.json"
	before, err := os.ReadFile(event)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"-env", "../../../../../env.json", "-bootstrap", bootstrap, "-rie", rie, "-out", out, event},
		&stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	got := stdout.String()
	for _, want := range []string{"answer: HTTP 200", "asynchronous invocation Event", "is paused: status *stopped*", "Simulated (DR_SIMULATE)"} {
		if !strings.Contains(got, want) {
			t.Errorf("output: no %q in\n%s", want, got)
		}
	}
	if after, _ := os.ReadFile(event); !bytes.Equal(after, before) {
		t.Error("events/button-click.json was rewritten")
	}
	if signed, err := os.ReadFile(filepath.Join(out, "button-click.json")); err != nil || bytes.Equal(signed, before) {
		t.Errorf("signed copy: %v; want a re-signed event in -out", err)
	}
}
