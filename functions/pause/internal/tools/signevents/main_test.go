package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/grafanasign"
)

// TestRunWritesSignedCopies: the Slack and Grafana events are written re-signed into -out, the
// others copied unchanged, and the files given are left exactly as they were.
func TestRunWritesSignedCopies(t *testing.T) {
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "events")
	slackEvent := `{"version":"2.0","body":"a=1","isBase64Encoded":false,"headers":{"x-slack-request-timestamp":"1","x-slack-signature":"v0=0"}}`
	grafanaEvent := `{"version":"2.0","body":"{}","isBase64Encoded":false,"headers":{"x-grafana-alerting-signature":"00","x-grafana-alerting-timestamp":"1"}}`
	direct := `{"disaster_recovery_id": "x"}` + "\n"
	slackFile, grafanaFile, directFile := filepath.Join(dir, "slack.json"), filepath.Join(dir, "grafana.json"), filepath.Join(dir, "direct.json")
	os.WriteFile(slackFile, []byte(slackEvent), 0o644)
	os.WriteFile(grafanaFile, []byte(grafanaEvent), 0o644)
	os.WriteFile(directFile, []byte(direct), 0o644)

	var stdout, stderr bytes.Buffer
	before := time.Now().Unix()
	if err := run([]string{"-secret", "s3", "-grafana-secret", "g4", "-out", out, slackFile, grafanaFile, directFile}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	raw, _ := os.ReadFile(filepath.Join(out, "slack.json"))
	var ev struct{ Headers map[string]string }
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ts, _ := strconv.ParseInt(ev.Headers["x-slack-request-timestamp"], 10, 64)
	_, want := slacktest.Sign("s3", time.Unix(ts, 0), []byte("a=1"))
	if ts < before || ev.Headers["x-slack-signature"] != want {
		t.Errorf("slack event: got %v; want a fresh timestamp signed with the given secret", ev.Headers)
	}
	raw, _ = os.ReadFile(filepath.Join(out, "grafana.json"))
	ev.Headers = nil
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ts, _ = strconv.ParseInt(ev.Headers["x-grafana-alerting-timestamp"], 10, 64)
	_, want = grafanasign.Sign("g4", time.Unix(ts, 0), []byte("{}"))
	if ts < before || ev.Headers["x-grafana-alerting-signature"] != want {
		t.Errorf("grafana event: got %v; want a fresh timestamp signed with the given secret", ev.Headers)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "direct.json")); string(got) != direct {
		t.Errorf("direct event: got %q; want it copied unchanged", got)
	}
	for file, was := range map[string]string{slackFile: slackEvent, grafanaFile: grafanaEvent, directFile: direct} {
		if got, _ := os.ReadFile(file); string(got) != was {
			t.Errorf("%s: got %q; want it untouched", file, got)
		}
	}
	if want := "wrote " + filepath.Join(out, "slack.json") + "\nwrote " + filepath.Join(out, "grafana.json") + "\nwrote " + filepath.Join(out, "direct.json") + "\n"; stdout.String() != want {
		t.Errorf("stdout: got %q; want %q", stdout.String(), want)
	}
}

// TestRunNeverRewritesInPlace: without -out, or with -out naming the events' own folder, nothing
// is written.
func TestRunNeverRewritesInPlace(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "slack.json")
	const event = `{"version":"2.0","body":"a=1","headers":{"x-slack-request-timestamp":"1","x-slack-signature":"v0=0"}}`
	os.WriteFile(file, []byte(event), 0o644)
	for _, args := range [][]string{{file}, {"-out", dir, file}} {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("run %q: got no error; want a refusal", args)
		}
		if got, _ := os.ReadFile(file); string(got) != event {
			t.Errorf("run %q: the event was rewritten", args)
		}
	}
}

func TestRunFailsOnMissingFile(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-out", t.TempDir(), filepath.Join(t.TempDir(), "nope.json")}, &stdout, &stderr); err == nil {
		t.Error("run: got no error for a missing file; want one")
	}
}
