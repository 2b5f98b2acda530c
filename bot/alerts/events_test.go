package alerts_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// functionURLEvent is the part of a Lambda Function URL (payload 2.0) event a replay needs.
type functionURLEvent struct {
	RawPath        string            `json:"rawPath"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	IsBase64       bool              `json:"isBase64Encoded"`
	RequestContext struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
}

// TestSampleEvents replays the events/alert-*.json samples against handlers configured with the
// documented local values, so the samples cannot drift from what the handlers accept.
func TestSampleEvents(t *testing.T) {
	// The SMN sample carries a placeholder signature and the captured certificate URL, which
	// passes the host and path rules: the certificate is fetched (here from the SMN double, which
	// publishes a test certificate there) and the signature refused.
	const sampleCertURL = "https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_b98100ca131b4116ab8ee7ccedbaae99.pem"
	d := alerts.SMNDouble(t)
	if _, err := d.NewSigner(sampleCertURL, rsaKey(t)); err != nil {
		t.Fatal(err)
	}
	fetchesBefore := d.Fetches("smn.cn-north-4.myhuaweicloud.com", "/smn/SMN_cn-north-4_b98100ca131b4116ab8ee7ccedbaae99.pem")
	act := &fakeActions{}
	h, err := alerts.New(alerts.Config{
		AlertBearer:   bearerCheck("local-alert-token"),
		GrafanaSecret: "local-grafana-secret",
		SMNTopics:     []string{"urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX"},
		Channel:       channel,
		AllowedIDs:    allowAll,
		Ledger:        ledger.NewMemory(),
	}, act)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		file         string
		handler      http.Handler
		wantStatus   int
		wantDecision string
	}{
		{file: "alert-alertmanager.json", handler: h.Alertmanager(), wantStatus: 200, wantDecision: "proposed"},
		{file: "alert-grafana.json", handler: h.Grafana(), wantStatus: 200, wantDecision: "proposed"},
		{file: "alert-smn.json", handler: h.SMN(), wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("../../events/" + tt.file)
			if err != nil {
				t.Fatalf("read sample: %v", err)
			}
			var ev functionURLEvent
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatalf("decode sample: %v", err)
			}
			if ev.IsBase64 || ev.RequestContext.HTTP.Method != http.MethodPost || !strings.HasPrefix(ev.RawPath, "/alerts/") {
				t.Fatalf("sample: got base64 %t, method %q, path %q; want a plain POST to /alerts/",
					ev.IsBase64, ev.RequestContext.HTTP.Method, ev.RawPath)
			}
			req := httptest.NewRequest(ev.RequestContext.HTTP.Method, ev.RawPath, strings.NewReader(ev.Body))
			for k, v := range ev.Headers {
				req.Header.Set(k, v)
			}
			if ev.RawPath == "/alerts/grafana" {
				// Signed again now, as `make events` does: the recorded timestamp has expired.
				if req.Header.Get("X-Grafana-Alerting-Timestamp") == "" {
					t.Fatal("the Grafana sample has no X-Grafana-Alerting-Timestamp header")
				}
				for k, v := range grafanaHeader("local-grafana-secret", unix(time.Now()), []byte(ev.Body)) {
					req.Header[k] = v
				}
			}
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d (%s); want %d", rec.Code, rec.Body, tt.wantStatus)
			}
			if tt.wantDecision != "" {
				var a answer
				if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Decision != tt.wantDecision {
					t.Errorf("answer: got %s; want decision %q", rec.Body, tt.wantDecision)
				}
			}
		})
	}
	if n := d.Fetches("smn.cn-north-4.myhuaweicloud.com", "/smn/SMN_cn-north-4_b98100ca131b4116ab8ee7ccedbaae99.pem") - fetchesBefore; n != 1 {
		t.Errorf("fetches of the sample's certificate URL: got %d; want 1", n)
	}
}
