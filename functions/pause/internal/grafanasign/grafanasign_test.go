package grafanasign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestResignEvent(t *testing.T) {
	const event = `{"version": "2.0",
  "headers": {"x-grafana-alerting-signature": "00ff", "x-grafana-alerting-timestamp": "1700000000"},
  "requestContext": {"timeEpoch": 1700000000},
  "body": "{\"alerts\":[]}", "isBase64Encoded": false}`
	at := time.Unix(1800000000, 0)
	out, err := ResignEvent([]byte(event), "s3", at)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Headers        map[string]string
		RequestContext struct{ TimeEpoch int64 }
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	mac := hmac.New(sha256.New, []byte("s3"))
	mac.Write([]byte(`1800000000:{"alerts":[]}`))
	if got, want := ev.Headers["x-grafana-alerting-signature"], hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("signature: got %s; want %s", got, want)
	}
	if got := ev.Headers["x-grafana-alerting-timestamp"]; got != "1800000000" {
		t.Errorf("timestamp: got %s; want 1800000000", got)
	}
	if ev.RequestContext.TimeEpoch != 1700000000 {
		t.Errorf("an unquoted number elsewhere changed: %s", out)
	}
	if !strings.HasPrefix(string(out), `{"version": "2.0",`+"\n") {
		t.Errorf("the layout of the file changed: %s", out)
	}
}

func TestResignEventNotGrafana(t *testing.T) {
	for _, event := range []string{
		`{"headers": {"x-slack-signature": "v0=00"}, "body": ""}`,
		`{"headers": {"x-grafana-alerting-signature": "00ff"}, "body": ""}`, // no timestamp: nothing to refresh
		`{"disaster_recovery_id": "x"}`,
	} {
		if _, err := ResignEvent([]byte(event), "s", time.Now()); !errors.Is(err, ErrNotGrafana) {
			t.Errorf("%s: got %v; want ErrNotGrafana", event, err)
		}
	}
}
