package alerts_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/alerts"
)

const grafanaSecret = "test-grafana-secret"

// referenceGrafana is a Grafana unified alerting webhook: the Alertmanager envelope plus orgId,
// state, title, message and per-alert silenceURL, dashboardURL, panelURL, values, valueString.
const referenceGrafana = `{"receiver":"dws-dr","status":"firing","orgId":1,
 "alerts":[{"status":"firing",
   "labels":{"alertname":"DWSPrimaryUnhealthy","disaster_recovery_id":"c1d2e3f4-0000-4b5c-9d8e-123456789abc","grafana_folder":"DWS"},
   "annotations":{"summary":"Primary DWS cluster unhealthy"},
   "startsAt":"2026-11-20T08:14:00Z","endsAt":"0001-01-01T00:00:00Z",
   "generatorURL":"https://grafana.example.com/alerting/grafana/abc/view",
   "fingerprint":"9e8f7a6b5c4d3e2f",
   "silenceURL":"https://grafana.example.com/alerting/silence/new?matcher=alertname%3DDWSPrimaryUnhealthy",
   "dashboardURL":"","panelURL":"","values":{"B":0,"C":1},"valueString":"[ var='B' value=0 ]"}],
 "groupLabels":{"alertname":"DWSPrimaryUnhealthy"},
 "commonLabels":{"alertname":"DWSPrimaryUnhealthy","grafana_folder":"DWS"},
 "commonAnnotations":{"summary":"Primary DWS cluster unhealthy"},
 "externalURL":"https://grafana.example.com/","version":"1",
 "groupKey":"{}:{alertname=\"DWSPrimaryUnhealthy\"}","truncatedAlerts":0,
 "title":"[FIRING:1] DWSPrimaryUnhealthy DWS","state":"alerting","message":"**Firing**"}`

// grafanaHeader signs body as Grafana does; an empty timestamp sends no timestamp header.
func grafanaHeader(secret, timestamp string, body []byte) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	if timestamp != "" {
		m.Write([]byte(timestamp + ":"))
	}
	m.Write(body)
	h := http.Header{"X-Grafana-Alerting-Signature": {hex.EncodeToString(m.Sum(nil))}}
	if timestamp != "" {
		h.Set("X-Grafana-Alerting-Timestamp", timestamp)
	}
	return h
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestGrafana(t *testing.T) {
	ref := []byte(referenceGrafana)
	grafana := map[string]any{"orgId": 1, "state": "alerting", "title": "[FIRING] DWS"}
	datasourceError := amAlert{status: "firing", id: idA, fingerprint: "ds1", alertname: "DatasourceError"}
	datasourceNoData := amAlert{status: "firing", id: idB, fingerprint: "ds2", alertname: "DatasourceNoData"}
	real := amAlert{status: "firing", id: idC, fingerprint: "r1"}
	mixed := webhookBody(t, 0, grafana, datasourceNoData, real)
	storm := webhookBody(t, 0, grafana, datasourceError, datasourceNoData, real)
	tests := []struct {
		name         string
		edit         func(*alerts.Config)
		header       http.Header
		body         []byte
		wantStatus   int
		wantDecision string
		wantIDs      []string
		wantProposed int
		wantNotified int
	}{
		{name: "signed without timestamp", header: grafanaHeader(grafanaSecret, "", ref), body: ref, wantStatus: 401},
		{
			name: "signed with a fresh timestamp", header: grafanaHeader(grafanaSecret, unix(testNow.Add(-time.Minute)), ref), body: ref,
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantProposed: 1,
		},
		{
			name: "replayed after the window", header: grafanaHeader(grafanaSecret, unix(testNow.Add(-6*time.Minute)), ref),
			body: ref, wantStatus: 401,
		},
		{
			name: "timestamp far ahead", header: grafanaHeader(grafanaSecret, unix(testNow.Add(6*time.Minute)), ref),
			body: ref, wantStatus: 401,
		},
		{
			name:   "timestamp header swapped after signing",
			header: swapTimestamp(grafanaHeader(grafanaSecret, unix(testNow.Add(-10*time.Minute)), ref), unix(testNow)),
			body:   ref, wantStatus: 401,
		},
		{
			name: "timestamp dropped after signing", header: dropTimestamp(grafanaHeader(grafanaSecret, unix(testNow), ref)),
			body: ref, wantStatus: 401,
		},
		{name: "malformed timestamp", header: swapTimestamp(grafanaHeader(grafanaSecret, "", ref), "yesterday"), body: ref, wantStatus: 401},
		{name: "missing signature", body: ref, wantStatus: 401},
		{name: "wrong secret", header: grafanaHeader("other-secret", unix(testNow), ref), body: ref, wantStatus: 401},
		{name: "signature of another body", header: grafanaHeader(grafanaSecret, unix(testNow), []byte("{}")), body: ref, wantStatus: 401},
		{
			name: "signature not hex", header: http.Header{"X-Grafana-Alerting-Signature": {"sha256=abc"}},
			body: ref, wantStatus: 401,
		},
		{
			name: "route disabled", edit: func(c *alerts.Config) { c.GrafanaSecret = "" },
			header: grafanaHeader("", unix(testNow), ref), body: ref, wantStatus: 403,
		},
		{
			name: "datasource error never pauses", body: webhookBody(t, 0, grafana, datasourceError),
			wantStatus: 200, wantDecision: "ignored",
		},
		{
			name: "datasource no data beside a real alert", body: mixed,
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idC}, wantProposed: 1,
		},
		{
			name: "datasource alerts do not count towards the storm limit", body: storm,
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idC}, wantProposed: 1,
		},
		{
			name: "truncated alerts refused", body: webhookBody(t, 2, grafana, real),
			wantStatus: 200, wantDecision: "refused", wantIDs: []string{idC}, wantNotified: 1,
		},
		{name: "malformed body", body: []byte(`{"alerts":`), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, act, _ := setup(t, tt.edit)
			header := tt.header
			if header == nil && tt.wantStatus != 401 {
				header = grafanaHeader(grafanaSecret, unix(testNow), tt.body)
			}
			status, got := post(t, h.Grafana(), header, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d; want %d", status, tt.wantStatus)
			}
			checkAnswer(t, got, tt.wantDecision, tt.wantIDs, nil)
			checkCalls(t, act, tt.wantProposed, 0, tt.wantNotified)
		})
	}
}

func swapTimestamp(h http.Header, ts string) http.Header {
	h.Set("X-Grafana-Alerting-Timestamp", ts)
	return h
}

func dropTimestamp(h http.Header) http.Header {
	h.Del("X-Grafana-Alerting-Timestamp")
	return h
}

// TestGrafanaReplayWithinWindow: a captured signed request replayed inside the window is
// authentic, so it is answered 200, but it never adds a second card.
func TestGrafanaReplayWithinWindow(t *testing.T) {
	h, act, clk := setup(t, nil)
	body := []byte(referenceGrafana)
	header := grafanaHeader(grafanaSecret, unix(testNow), body)
	if _, a := post(t, h.Grafana(), header, body); a.Decision != "proposed" {
		t.Fatalf("first: got %q; want proposed", a.Decision)
	}
	clk.Advance(4 * time.Minute)
	if status, a := post(t, h.Grafana(), header, body); status != 200 || a.Decision != "ignored" ||
		!strings.Contains(a.Reason, "signed request was received before") {
		t.Errorf("replay: got %d %q (%s); want 200 ignored as a replay of the signed request", status, a.Decision, a.Reason)
	}
	clk.Advance(2 * time.Minute)
	if status, _ := post(t, h.Grafana(), header, body); status != 401 {
		t.Errorf("replay after the window: got %d; want 401", status)
	}
	checkCalls(t, act, 1, 0, 0)
	if got := act.proposed[0]; got.Title != "[FIRING:1] DWSPrimaryUnhealthy DWS" || len(got.Links) != 3 {
		t.Errorf("proposal: got title %q and links %v; want Grafana's title and source, silence and Grafana links", got.Title, got.Links)
	}
}

// TestGrafanaRequiresTimestamp: a request signed without the timestamp header is refused, and
// the answer says which header to set where; nothing reaches Slack.
func TestGrafanaRequiresTimestamp(t *testing.T) {
	h, act, _ := setup(t, nil)
	body := []byte(referenceGrafana)
	req := httptest.NewRequest(http.MethodPost, "/alerts/grafana", bytes.NewReader(body))
	for k, v := range grafanaHeader(grafanaSecret, "", body) {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.Grafana().ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("status: got %d %s; want 401", rec.Code, rec.Body)
	}
	for _, want := range []string{"missing X-Grafana-Alerting-Timestamp", "timestampHeader"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("answer %s: want it to say %q", rec.Body, want)
		}
	}
	checkCalls(t, act, 0, 0, 0)
}
