package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// TestSimulatedIsVisible runs the real binary with DR_SIMULATE=true and checks that a person can
// never take its messages for a real pause: the slash command's answers, the card, the click's
// acknowledgement and the result all say they are simulated, and so does every /invoke answer,
// success or error.
func TestSimulatedIsVisible(t *testing.T) {
	const note = "Simulated (DR_SIMULATE): no real DR was touched"
	slack := newSlack(t)
	srv := startHTTP(t, baseEnv(slack)) // baseEnv sets DR_SIMULATE=true

	command := func(text string) []byte {
		t.Helper()
		body := []byte(url.Values{
			"team_id": {"T0LOCAL01"}, "channel_id": {"C0LOCAL01"}, "user_id": {"U0REQUEST"},
			"command": {"/dr"}, "text": {text}, "response_url": {slack.ResponseURL("command")},
		}.Encode())
		status, answer := post(t, srv.url+"/slack/commands", "application/x-www-form-urlencoded", body, slackHeaders(body))
		if status != http.StatusOK {
			t.Fatalf("/dr %s: got %d %s; want 200", text, status, answer)
		}
		return answer
	}
	for _, text := range []string{"help", "status " + drsim.SeedRunning, "list"} {
		if answer := command(text); !strings.Contains(string(answer), note) {
			t.Errorf("/dr %s: got %s; want it to say %q", text, answer, note)
		}
	}
	card := command("pause " + drsim.SeedRunning)
	if !strings.Contains(string(card), note) {
		t.Errorf("card: got %s; want it to say %q", card, note)
	}
	var cardFields map[string]any
	if err := json.Unmarshal(card, &cardFields); err != nil {
		t.Fatal(err)
	}
	click := clickBody(slacktest.Buttons(cardFields)["dr_pause"], slack.ActionURL("click"))
	if status, b := post(t, srv.url+"/slack/interactions", "application/x-www-form-urlencoded", click, slackHeaders(click)); status != http.StatusOK {
		t.Fatalf("click: got %d %s; want 200", status, b)
	}
	waitMessage(t, slack, mentions("status *stopped*"))
	for _, m := range slack.Posts() {
		if !strings.Contains(m.Render(), note) {
			t.Errorf("%s message: got %s; want it to say %q", m.Via, m.JSON(), note)
		}
	}

	for _, tt := range []struct{ name, auth, body string }{
		{"success", "Bearer " + invokeToken, `{"disaster_recovery_id":"` + drsim.SeedStopped + `","dry_run":true}`},
		{"DR error", "Bearer " + invokeToken, `{"disaster_recovery_id":"` + drsim.SeedUnstart + `"}`},
		{"wrong token", "Bearer nope", `{"disaster_recovery_id":"` + drsim.SeedStopped + `"}`},
	} {
		_, b := post(t, srv.url+"/invoke", "application/json", []byte(tt.body), http.Header{"Authorization": {tt.auth}})
		var answer struct{ Simulated bool }
		if err := json.Unmarshal(b, &answer); err != nil || !answer.Simulated {
			t.Errorf("POST /invoke %s: got %s; want \"simulated\": true", tt.name, b)
		}
	}
}
