package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// TestVerification sends requests that must be refused before anything happens: no DR call,
// no post to Slack, and the body nowhere in the logs.
func TestVerification(t *testing.T) {
	const marker = "MARKER-NOT-TO-BE-LOGGED"
	body := commandBody("U1", chanID, "status "+goldenID+" "+marker, "https://hooks.example/x")
	now := time.Now()
	oversized := body + "&pad=" + strings.Repeat("a", maxBodyBytes)
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"missing signature", func() *http.Request {
			r := signedRequest("/slack/commands", body)
			r.Header.Del("X-Slack-Signature")
			return r
		}, http.StatusUnauthorized},
		{"missing timestamp", func() *http.Request {
			r := signedRequest("/slack/commands", body)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, http.StatusUnauthorized},
		{"wrong signature", func() *http.Request {
			r := signedRequest("/slack/commands", body)
			r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
			return r
		}, http.StatusUnauthorized},
		{"not hex", func() *http.Request {
			r := signedRequest("/slack/commands", body)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}, http.StatusUnauthorized},
		{"stale", func() *http.Request {
			return signedRequestAt("/slack/commands", body, now.Add(-6*time.Minute), testSecret)
		}, http.StatusUnauthorized},
		{"future", func() *http.Request {
			return signedRequestAt("/slack/commands", body, now.Add(6*time.Minute), testSecret)
		}, http.StatusUnauthorized},
		{"wrong secret", func() *http.Request {
			return signedRequestAt("/slack/commands", body, now, "another-secret")
		}, http.StatusUnauthorized},
		{"tampered body", func() *http.Request {
			r := signedRequest("/slack/commands", body)
			tampered := strings.Replace(body, "U1", "U2", 1)
			return withBody(r, tampered)
		}, http.StatusUnauthorized},
		{"signature of another timestamp", func() *http.Request {
			r := signedRequest("/slack/commands", body)
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()-1, 10))
			return r
		}, http.StatusUnauthorized},
		{"oversized", func() *http.Request {
			return signedRequest("/slack/commands", oversized)
		}, http.StatusRequestEntityTooLarge},
		{"GET", func() *http.Request {
			r := signedRequest("/slack/commands", "")
			r.Method = http.MethodGet
			return r
		}, http.StatusMethodNotAllowed},
	}
	for _, route := range []string{"commands", "interactions"} {
		for _, tt := range tests {
			t.Run(route+"/"+tt.name, func(t *testing.T) {
				dr := &fakeDR{get: func(ctx context.Context, id string) (*drapi.Detail, error) { return goldenDetail(), nil }}
				e := newEnv(t, dr, nil)
				h := e.bot.Commands()
				if route == "interactions" {
					h = e.bot.Interactions()
				}
				w := e.do(t, h, tt.req())
				if w.Code != tt.status {
					t.Errorf("got status %d; want %d", w.Code, tt.status)
				}
				if strings.Contains(w.Body.String(), marker) {
					t.Errorf("answer echoes the body: %q", w.Body)
				}
				if n := dr.calls.Load(); n != 0 {
					t.Errorf("got %d DR calls; want 0", n)
				}
				noPosts(t, e.slack)
				if strings.Contains(e.logs.String(), marker) {
					t.Errorf("logs contain the request body")
				}
				if tt.status == http.StatusUnauthorized && !strings.Contains(e.logs.String(), `"event":"invalid_signature"`) {
					t.Errorf("logs: got %q; want an invalid_signature line", e.logs)
				}
			})
		}
	}
}

func withBody(r *http.Request, body string) *http.Request {
	r2 := httptest.NewRequest(r.Method, r.URL.Path, strings.NewReader(body))
	r2.Header = r.Header.Clone()
	return r2
}

// TestSSLCheck: Slack's ssl_check gets 200 and an empty body, signed or not, and does nothing.
func TestSSLCheck(t *testing.T) {
	body := "ssl_check=1&token=deprecated-verification-token"
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"signed", signedRequest("/slack/commands", body)},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr := &fakeDR{}
			e := newEnv(t, dr, nil)
			w := e.do(t, e.bot.Commands(), tt.req)
			if w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Errorf("got %d %q; want 200 and an empty body", w.Code, w.Body)
			}
			if n := dr.calls.Load(); n != 0 {
				t.Errorf("got %d DR calls; want 0", n)
			}
			noPosts(t, e.slack)
		})
	}
}
