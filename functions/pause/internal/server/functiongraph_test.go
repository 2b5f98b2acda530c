package server_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/functions/pause/internal/server"
	"github.com/dws-dr/drpause/pkg/drapi"
)

// The agency's temporary credentials as FunctionGraph sends them; no answer or log may show the
// secret parts.
const (
	agencyAK    = "TEMPAGENCYAK0000"
	agencySK    = "agency-sk-never-shown"
	agencyToken = "agency-token-never-shown"
	authToken   = "iam-auth-token-never-shown"
)

// seen is what a route's handler got to see of one request.
type seen struct {
	called   bool
	headers  http.Header
	creds    drapi.Credentials
	hasCreds bool
	platform server.Platform
}

// probe records what the handler behind a route saw.
func probe(s *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.called = true
		s.headers = r.Header.Clone()
		s.creds, s.hasCreds = drapi.CredentialsFrom(r.Context())
		s.platform = server.PlatformOf(r.Context())
	})
}

// agencyHeaders returns FunctionGraph's headers, with the credential headers named in keep.
func agencyHeaders(keep ...string) http.Header {
	all := map[string]string{
		server.HeaderAccessKey: agencyAK, server.HeaderSecretKey: agencySK, server.HeaderSecurityToken: agencyToken,
	}
	h := http.Header{}
	h.Set(server.HeaderRequestID, "fg-request-1")
	h.Set("X-CFF-Auth-Token", authToken)
	for _, k := range keep {
		h.Set(k, all[k])
	}
	return h
}

var allCreds = []string{server.HeaderAccessKey, server.HeaderSecretKey, server.HeaderSecurityToken}

// TestFunctionGraphHeaders: in HTTP mode a complete set of agency headers becomes the request's
// DR API credentials; a partial set, or none where no AK/SK is configured, is refused on /invoke
// (400) and the alert routes (503) before their handler runs, and handed to the bot to refuse
// on Slack's routes. The credential headers never reach a handler, and no answer or log shows
// a secret.
func TestFunctionGraphHeaders(t *testing.T) {
	http14 := server.FunctionGraph{Recognise: true, Credentials: true}
	agencyOnly := server.FunctionGraph{Recognise: true, Credentials: true, Required: true}
	tests := []struct {
		name       string
		fg         server.FunctionGraph
		path       string
		header     http.Header
		wantStatus int    // 0: the handler runs
		wantText   string // in the refusal, or in the problem the bot is handed
		wantCreds  bool
		wantFG     bool
	}{
		{name: "complete set", fg: http14, path: "/invoke", header: agencyHeaders(allCreds...), wantCreds: true, wantFG: true},
		{name: "complete set, slack", fg: agencyOnly, path: "/slack/interactions", header: agencyHeaders(allCreds...), wantCreds: true, wantFG: true},
		{name: "no secret key, invoke", fg: http14, path: "/invoke",
			header: agencyHeaders(server.HeaderAccessKey, server.HeaderSecurityToken), wantStatus: 400, wantText: "no X-CFF-Security-Secret-Key"},
		{name: "only the access key, alerts", fg: http14, path: "/alerts/alertmanager",
			header: agencyHeaders(server.HeaderAccessKey), wantStatus: 503, wantText: "no X-CFF-Security-Secret-Key, X-CFF-Security-Token"},
		{name: "no token, grafana", fg: agencyOnly, path: "/alerts/grafana",
			header: agencyHeaders(server.HeaderAccessKey, server.HeaderSecretKey), wantStatus: 503, wantText: "no X-CFF-Security-Token"},
		{name: "no token, slack", fg: http14, path: "/slack/commands",
			header: agencyHeaders(server.HeaderAccessKey, server.HeaderSecretKey), wantText: "no X-CFF-Security-Token", wantCreds: true, wantFG: true},
		{name: "none where required, invoke", fg: agencyOnly, path: "/invoke", header: agencyHeaders(), wantStatus: 400, wantText: "no DR API credentials"},
		{name: "none where required, slack", fg: agencyOnly, path: "/slack/commands", header: agencyHeaders(), wantText: "no DR API credentials", wantFG: true},
		{name: "none with AK/SK configured", fg: http14, path: "/invoke", header: agencyHeaders(), wantFG: true},
		{name: "not from FunctionGraph", fg: http14, path: "/invoke", header: http.Header{}},
		{name: "simulator: recognised, credentials ignored", fg: server.FunctionGraph{Recognise: true}, path: "/invoke",
			header: agencyHeaders(server.HeaderAccessKey), wantFG: true},
		{name: "lambda: removed and ignored", fg: server.FunctionGraph{}, path: "/invoke", header: agencyHeaders(allCreds...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var got seen
			h := server.NewServer(server.Deps{
				Logger:   slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Commands: probe(&got), Interactions: probe(&got), Alertmanager: probe(&got), Grafana: probe(&got), Invoke: probe(&got),
				FunctionGraph: tt.fg,
			})
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader("{}"))
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			for _, s := range []string{agencySK, agencyToken, authToken} {
				if strings.Contains(rec.Body.String()+logs.String(), s) {
					t.Errorf("answer or logs show a secret:\n%s\n%s", rec.Body, logs.String())
				}
			}
			if tt.wantStatus != 0 {
				if got.called || rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantText) ||
					!strings.Contains(rec.Body.String(), `"code":"credentials_unusable"`) {
					t.Errorf("got %d %s (handler ran: %t); want %d with %q, handler not run", rec.Code, rec.Body, got.called, tt.wantStatus, tt.wantText)
				}
				return
			}
			if !got.called {
				t.Fatalf("handler not run; got %d %s", rec.Code, rec.Body)
			}
			for _, k := range []string{server.HeaderAccessKey, server.HeaderSecretKey, server.HeaderSecurityToken, "X-CFF-Auth-Token"} {
				if v := got.headers.Get(k); v != "" {
					t.Errorf("handler saw header %s", k)
				}
			}
			if got.platform.FunctionGraph != tt.wantFG {
				t.Errorf("PlatformOf: FunctionGraph %t; want %t", got.platform.FunctionGraph, tt.wantFG)
			}
			if !strings.Contains(got.platform.CredentialsProblem, tt.wantText) || (tt.wantText == "") != (got.platform.CredentialsProblem == "") {
				t.Errorf("PlatformOf: problem %q; want %q", got.platform.CredentialsProblem, tt.wantText)
			}
			if got.hasCreds != tt.wantCreds {
				t.Errorf("credentials in the context: %t (%v); want %t", got.hasCreds, got.creds, tt.wantCreds)
			}
			if tt.wantCreds && tt.wantText == "" && got.creds != (drapi.Credentials{AccessKey: agencyAK, SecretKey: agencySK, SecurityToken: agencyToken}) {
				t.Errorf("credentials in the context: got %v; want the agency's", got.creds)
			}
		})
	}
}
