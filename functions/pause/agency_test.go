package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// The temporary credentials a FunctionGraph agency hands over with each request, registered as
// the only ones the simulator accepts. The secret parts must never appear in any output.
var agency = drapi.Credentials{AccessKey: "TEMPAGENCYAK0001", SecretKey: "agency-temp-sk-never-printed", SecurityToken: "agency-temp-token-never-printed"}

// agencySigners records, for each request the simulator received, the access key that signed it and
// the security token it carried.
type agencySigners struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (s *agencySigners) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, ak, _ := strings.Cut(r.Header.Get("Authorization"), "Access=")
	ak, _, _ = strings.Cut(ak, ",")
	s.mu.Lock()
	s.seen = append(s.seen, ak+" "+r.Header.Get("X-Security-Token"))
	s.mu.Unlock()
	s.next.ServeHTTP(w, r)
}

func (s *agencySigners) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// fgHeaders is what FunctionGraph adds to a request, with the credential headers named in keep.
func fgHeaders(creds drapi.Credentials, keep ...string) http.Header {
	h := http.Header{"X-CFF-Request-Id": {"fg-req-1"}, "X-CFF-Func-Name": {"drpause"}}
	values := map[string]string{
		"X-CFF-Security-Access-Key": creds.AccessKey, "X-CFF-Security-Secret-Key": creds.SecretKey,
		"X-CFF-Security-Token": creds.SecurityToken,
	}
	for _, k := range keep {
		h.Set(k, values[k])
	}
	return h
}

var allAgencyHeaders = []string{"X-CFF-Security-Access-Key", "X-CFF-Security-Secret-Key", "X-CFF-Security-Token"}

// withHeaders merges header sets.
func withHeaders(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}

// TestFunctionGraphAgency runs the real binary in HTTP mode as FunctionGraph runs it with an
// agency and Include Keys: no AK/SK variable, the temporary credentials in each request's
// X-CFF-Security-* headers. The simulator, reached through DR_ENDPOINT and accepting only those
// credentials, must see every call signed with the temporary key and carrying its token; missing
// or partial headers fail clearly and call nothing; a click is answered only once its pause was
// sent and read back.
func TestFunctionGraphAgency(t *testing.T) {
	sim := drsim.New(drsim.Options{Credentials: agency, StoppingFor: time.Hour})
	rec := &agencySigners{next: sim}
	dws := httptest.NewServer(rec)
	defer dws.Close()
	slack := newSlack(t)
	srv := startHTTP(t, []string{
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"DR_ENDPOINT=" + dws.URL,
		"SLACK_SIGNING_SECRET=local-signing-secret",
		"SLACK_BOT_TOKEN=" + botToken,
		"SLACK_API_URL=" + slack.APIURL(),
		"DR_ALLOWED_USERS=*",
		"DR_INVOKE_TOKEN=" + invokeToken,
		"LOG_LEVEL=debug",
	})
	if !strings.Contains(srv.out.String(), `"variable":"HUAWEICLOUD_SDK_AK"`) {
		t.Errorf("start-up: no warning that the AK/SK come with each request:\n%s", srv.out)
	}
	bearer := http.Header{"Authorization": {"Bearer " + invokeToken}}
	invoke := func(t *testing.T, id string, h http.Header) (int, string) {
		t.Helper()
		status, body := post(t, srv.url+"/invoke", "application/json",
			[]byte(`{"disaster_recovery_id":"`+id+`"}`), withHeaders(bearer, h))
		return status, string(body)
	}
	want := agency.AccessKey + " " + agency.SecurityToken

	t.Run("invoke signs with the agency's credentials", func(t *testing.T) {
		status, body := invoke(t, drsim.SeedRunning, fgHeaders(agency, allAgencyHeaders...))
		if status != http.StatusOK || !strings.Contains(body, `"status":"stopping"`) {
			t.Fatalf("POST /invoke: got %d %s; want 200, stopping", status, body)
		}
		reqs := rec.requests()
		if len(reqs) == 0 || sim.Count(drsim.RoutePause) != 1 {
			t.Fatalf("simulator: got %d requests, %d pauses; want the pause", len(reqs), sim.Count(drsim.RoutePause))
		}
		for i, got := range reqs {
			if got != want {
				t.Errorf("request %d: signed by and carrying %q; want %q", i, got, want)
			}
		}
	})

	refusals := []struct {
		name string
		keep []string
		want string
	}{
		{"no headers", nil, "no DR API credentials"},
		{"no token", allAgencyHeaders[:2], "no X-CFF-Security-Token"},
		{"only the access key", allAgencyHeaders[:1], "no X-CFF-Security-Secret-Key, X-CFF-Security-Token"},
	}
	for _, tt := range refusals {
		t.Run("invoke refused: "+tt.name, func(t *testing.T) {
			before := len(rec.requests())
			status, body := invoke(t, drsim.SeedStopFailed, fgHeaders(agency, tt.keep...))
			if status != http.StatusBadRequest || !strings.Contains(body, tt.want) || !strings.Contains(body, `"code":"credentials_unusable"`) {
				t.Errorf("POST /invoke: got %d %s; want 400 credentials_unusable naming %q", status, body, tt.want)
			}
			if after := len(rec.requests()); after != before {
				t.Errorf("simulator: got %d requests; want none", after-before)
			}
		})
	}

	t.Run("wrong agency secret is the simulator's to refuse", func(t *testing.T) {
		wrong := agency
		wrong.SecretKey = "not-the-agency-sk"
		status, body := invoke(t, drsim.SeedStopFailed, fgHeaders(wrong, allAgencyHeaders...))
		if status != http.StatusBadGateway || !strings.Contains(body, "APIGW.0301") {
			t.Errorf("POST /invoke: got %d %s; want 502 with the simulator's APIGW.0301", status, body)
		}
	})

	t.Run("a click is answered after its pause was sent and read back", func(t *testing.T) {
		cmd := url.Values{
			"team_id": {"T0LOCAL01"}, "channel_id": {"C0LOCAL01"}, "user_id": {"U0REQUEST"},
			"command": {"/dr"}, "text": {"pause " + drsim.SeedStopFailed},
			"response_url": {slack.ResponseURL("command")}, "trigger_id": {"1.2.local"},
		}
		body := []byte(cmd.Encode())
		status, card := post(t, srv.url+"/slack/commands", "application/x-www-form-urlencoded", body,
			withHeaders(slackHeaders(body), fgHeaders(agency, allAgencyHeaders...)))
		var fields map[string]any
		if status != http.StatusOK || json.Unmarshal(card, &fields) != nil {
			t.Fatalf("slash command: got %d %s; want a card", status, card)
		}
		value, ok := slacktest.Buttons(fields)["dr_pause"]
		if !ok {
			t.Fatalf("card: no dr_pause button in %s", card)
		}

		// A partial set: refused in Slack, ephemeral, and nothing sent.
		before := len(rec.requests())
		click := clickBody(value, slack.ActionURL("partial"))
		if status, b := post(t, srv.url+"/slack/interactions", "application/x-www-form-urlencoded", click,
			withHeaders(slackHeaders(click), fgHeaders(agency, allAgencyHeaders[:2]...))); status != http.StatusOK {
			t.Fatalf("click: got %d %s; want 200", status, b)
		}
		refusal := waitMessage(t, slack, func(m slacktest.Post) bool { return m.Path == "/actions/partial" })
		if text := refusal.Render(); !strings.Contains(text, "no X-CFF-Security-Token") || refusal.ResponseType != "ephemeral" {
			t.Errorf("refusal: got %s; want an ephemeral message naming the missing header", text)
		}
		if after := len(rec.requests()); after != before {
			t.Errorf("simulator: got %d requests after a refused click; want none", after-before)
		}

		click = clickBody(value, slack.ActionURL("click"))
		if status, b := post(t, srv.url+"/slack/interactions", "application/x-www-form-urlencoded", click,
			withHeaders(slackHeaders(click), fgHeaders(agency, allAgencyHeaders...))); status != http.StatusOK {
			t.Fatalf("click: got %d %s; want 200", status, b)
		}
		// Not waited for: it was posted (through the click's response_url) before the click was
		// answered.
		var final string
		for _, m := range slack.Posts() {
			if text := m.Render(); m.OK() && strings.Contains(text, "accepted") {
				final = text
			}
		}
		if !strings.Contains(final, "status *stopping*") || !strings.Contains(final, "/dr status "+drsim.SeedStopFailed) {
			t.Errorf("when the click was answered: result %q; want accepted, stopping, follow with /dr status", final)
		}
		if got := sim.Count(drsim.RoutePause); got != 2 {
			t.Errorf("simulator: got %d pauses in all; want 2", got)
		}
		for i, got := range rec.requests() {
			if got != want {
				t.Errorf("request %d: signed by and carrying %q; want %q", i, got, want)
			}
		}
	})

	out := srv.out.String()
	checkNoSecrets(t, out)
	for _, s := range []string{agency.SecretKey, agency.SecurityToken, "not-the-agency-sk"} {
		if strings.Contains(out, s) {
			t.Errorf("output holds an agency secret:\n%s", out)
		}
	}
}
