package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testVersion is what TestVersion links into its build, through the variable the Makefile sets.
const testVersion = "v9.8.7-test-3-gabcdef0-dirty"

// buildWithMakefileVersion builds the binary as `make build` would name its version: the -X
// symbol is read from the Makefile, so renaming the variable without the Makefile fails here.
func buildWithMakefileVersion(t *testing.T) string {
	t.Helper()
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`-X (\S+)=\$\(VERSION\)`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no -X <symbol>=$(VERSION) in the link flags")
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	// The flags of TestMain's build, so only the link step is new.
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath",
		"-ldflags", "-X "+string(m[1])+"="+testVersion, "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestVersion: `-version` prints the linked version and exits 0 without any configuration;
// the start-up line and GET /healthz name the same version.
func TestVersion(t *testing.T) {
	bin := buildWithMakefileVersion(t)

	for _, flag := range []string{"-version", "--version"} {
		cmd := exec.Command(bin, flag)
		cmd.Env = []string{} // no configuration at all
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || string(out) != testVersion+"\n" || stderr.Len() != 0 {
			t.Errorf("%s: got %q, stderr %q, %v; want %q and exit 0", flag, out, stderr.String(), err, testVersion+"\n")
		}
	}

	cmd := exec.Command(bin)
	cmd.Env = []string{"DR_SIMULATE=true", "DR_LISTEN_HOST=127.0.0.1", "PORT=0"}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	type listening struct{ Msg, Addr, Version string }
	found := make(chan listening, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l listening
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				found <- l
				break
			}
		}
		for sc.Scan() { // keep the pipe drained
		}
	}()
	var l listening
	select {
	case l = <-found:
	case <-time.After(10 * time.Second):
		t.Fatal("no listening line after 10s")
	}
	if l.Version != testVersion {
		t.Errorf("listening line: got version %q; want %q", l.Version, testVersion)
	}
	resp, err := http.Get("http://" + l.Addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health struct{ Status, Version string }
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	if health.Status != "ok" || health.Version != testVersion {
		t.Errorf("GET /healthz: got %+v; want status ok, version %q", health, testVersion)
	}
}

// TestUnknownArgumentsRefused: anything but -version still stops the binary, in one line.
func TestUnknownArgumentsRefused(t *testing.T) {
	for _, args := range [][]string{{"-check-everything"}, {"serve"}, {"-version", "extra"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// A binary that took the arguments would serve until killed.
		cmd := exec.CommandContext(ctx, bootstrapPath, args...)
		cmd.Env = []string{"DR_SIMULATE=true", "DR_LISTEN_HOST=127.0.0.1", "PORT=0"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if cmd.ProcessState.ExitCode() != 1 || len(lines) != 1 || !strings.Contains(lines[0], "unexpected arguments") {
			t.Errorf("%q: got exit %d (%v), stderr %q; want exit 1 and one line refusing the arguments",
				args, cmd.ProcessState.ExitCode(), err, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: got stdout %q; want nothing (the server must not start)", args, stdout.String())
		}
	}
}
