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

func TestRunResignsOnlySlackAndGrafanaEvents(t *testing.T) {
	dir := t.TempDir()
	slackEvent := `{"version":"2.0","body":"a=1","isBase64Encoded":false,"headers":{"x-slack-request-timestamp":"1","x-slack-signature":"v0=0"}}`
	grafanaEvent := `{"version":"2.0","body":"{}","isBase64Encoded":false,"headers":{"x-grafana-alerting-signature":"00","x-grafana-alerting-timestamp":"1"}}`
	direct := `{"disaster_recovery_id": "x"}` + "\n"
	slackFile, grafanaFile, directFile := filepath.Join(dir, "slack.json"), filepath.Join(dir, "grafana.json"), filepath.Join(dir, "direct.json")
	os.WriteFile(slackFile, []byte(slackEvent), 0o644)
	os.WriteFile(grafanaFile, []byte(grafanaEvent), 0o644)
	os.WriteFile(directFile, []byte(direct), 0o644)

	var stdout, stderr bytes.Buffer
	before := time.Now().Unix()
	if err := run([]string{"-secret", "s3", "-grafana-secret", "g4", slackFile, grafanaFile, directFile}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	raw, _ := os.ReadFile(slackFile)
	var ev struct{ Headers map[string]string }
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ts, _ := strconv.ParseInt(ev.Headers["x-slack-request-timestamp"], 10, 64)
	_, want := slacktest.Sign("s3", time.Unix(ts, 0), []byte("a=1"))
	if ts < before || ev.Headers["x-slack-signature"] != want {
		t.Errorf("slack event: got %v; want a fresh timestamp signed with the given secret", ev.Headers)
	}
	raw, _ = os.ReadFile(grafanaFile)
	ev.Headers = nil
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ts, _ = strconv.ParseInt(ev.Headers["x-grafana-alerting-timestamp"], 10, 64)
	_, want = grafanasign.Sign("g4", time.Unix(ts, 0), []byte("{}"))
	if ts < before || ev.Headers["x-grafana-alerting-signature"] != want {
		t.Errorf("grafana event: got %v; want a fresh timestamp signed with the given secret", ev.Headers)
	}
	if got, _ := os.ReadFile(directFile); string(got) != direct {
		t.Errorf("direct event: got %q; want it untouched", got)
	}
	if want := "signed " + slackFile + "\nsigned " + grafanaFile + "\n"; stdout.String() != want {
		t.Errorf("stdout: got %q; want %q", stdout.String(), want)
	}
}

func TestRunFailsOnMissingFile(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{filepath.Join(t.TempDir(), "nope.json")}, &stdout, &stderr); err == nil {
		t.Error("run: got no error for a missing file; want one")
	}
}
