package slacktest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The example of Slack's "Verifying requests from Slack" documentation.
func TestSignMatchesSlackDocs(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	ts, sig := Sign("8f742231b10e8888abcd99yyyzzz85a5", time.Unix(1531420618, 0), []byte(body))
	if want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; ts != "1531420618" || sig != want {
		t.Errorf("Sign: got %s %s; want 1531420618 %s", ts, sig, want)
	}
}

func TestResignEvent(t *testing.T) {
	at := time.Unix(1795600000, 0)
	form := "text=pause&response_url=https%3A%2F%2Fhooks.slack.com%2Fx"
	tests := []struct {
		name  string
		event map[string]any
		body  string // the body as signed
	}{
		{"function url, base64", map[string]any{
			"version": "2.0", "isBase64Encoded": true, "body": base64.StdEncoding.EncodeToString([]byte(form)),
			"headers": map[string]any{"x-slack-request-timestamp": "1", "x-slack-signature": "v0=0"},
		}, form},
		{"rest v1, plain", map[string]any{
			"httpMethod": "POST", "resource": "/slack/commands", "body": form,
			"headers":           map[string]any{"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"},
			"multiValueHeaders": map[string]any{"X-Slack-Request-Timestamp": []string{"1"}, "X-Slack-Signature": []string{"v0=0"}},
		}, form},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(tt.event)
			out, err := ResignEvent(raw, LocalSecret, at, Resign{})
			if err != nil {
				t.Fatalf("ResignEvent: %v", err)
			}
			wantTS, wantSig := Sign(LocalSecret, at, []byte(tt.body))
			if !strings.Contains(string(out), wantSig) || !strings.Contains(string(out), `"`+wantTS+`"`) {
				t.Errorf("event: got %s; want timestamp %s and signature %s", out, wantTS, wantSig)
			}
			if strings.Count(string(out), wantSig) != 1+boolInt(tt.event["multiValueHeaders"] != nil) {
				t.Errorf("event: got %s; want the signature in every header map", out)
			}
			if strings.Contains(string(out), `\u0026`) {
				t.Errorf("event: got %s; want & unescaped", out)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestResignEventRewrite(t *testing.T) {
	ev, _ := json.Marshal(map[string]any{"version": "2.0", "isBase64Encoded": true, "body": base64.StdEncoding.EncodeToString([]byte("a=1")),
		"headers": map[string]any{"x-slack-request-timestamp": "1", "x-slack-signature": "v0=0"}})
	at := time.Unix(1795600000, 0)
	out, err := ResignEvent(ev, LocalSecret, at, Resign{Rewrite: func(b []byte) []byte { return append(b, "&b=2"...) }})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Body    string
		Headers map[string]string
	}
	json.Unmarshal(out, &got)
	body, _ := base64.StdEncoding.DecodeString(got.Body)
	_, sig := Sign(LocalSecret, at, body)
	if string(body) != "a=1&b=2" || got.Headers["x-slack-signature"] != sig {
		t.Errorf("rewritten event: got body %q signature %s; want a=1&b=2 signed %s", body, got.Headers["x-slack-signature"], sig)
	}
}

func TestResignEventNotSlack(t *testing.T) {
	for _, ev := range []string{`{"disaster_recovery_id":"x"}`, `{"headers":{"authorization":"Bearer x"},"body":""}`} {
		if _, err := ResignEvent([]byte(ev), LocalSecret, time.Now(), Resign{}); !errors.Is(err, ErrNotSlack) {
			t.Errorf("ResignEvent(%s): got %v; want ErrNotSlack", ev, err)
		}
	}
}

func TestResignEventButtons(t *testing.T) {
	payload := `{"type":"block_actions","actions":[{"action_id":"dr_pause","value":"{\"id\":\"e59d6b86-9072-46eb-a996-13f8b44994c1\",\"by\":\"U1\",\"mac\":\"old\"}"},{"action_id":"other","value":"plain"}]}`
	form := "payload=" + url.QueryEscape(payload)
	ev, _ := json.Marshal(map[string]any{"version": "2.0", "body": form,
		"headers": map[string]any{"x-slack-request-timestamp": "1", "x-slack-signature": "v0=0"}})
	var sealed []string
	out, err := ResignEvent(ev, LocalSecret, time.Unix(1795600000, 0), Resign{Button: func(id, by string) string {
		sealed = append(sealed, id+" "+by)
		return "new-value"
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"e59d6b86-9072-46eb-a996-13f8b44994c1 U1"}; !slices.Equal(sealed, want) {
		t.Errorf("sealed: got %q; want %q", sealed, want)
	}
	var got struct{ Body string }
	json.Unmarshal(out, &got)
	f, _ := url.ParseQuery(got.Body)
	if p := f.Get("payload"); !strings.Contains(p, `"value":"new-value"`) || !strings.Contains(p, `"value":"plain"`) {
		t.Errorf("payload: got %s; want the DR button resealed and the other kept", p)
	}
}

func TestNewRequestIsSignedOverItsBody(t *testing.T) {
	at := time.Unix(1795600000, 0)
	r := NewRequest("s", at, "/slack/commands", "a=1")
	_, sig := Sign("s", at, []byte("a=1"))
	if r.Header.Get(HeaderSignature) != sig || r.Header.Get(HeaderTimestamp) != "1795600000" || r.Method != http.MethodPost {
		t.Errorf("got %s %v; want a POST signed %s at 1795600000", r.Method, r.Header, sig)
	}
}
