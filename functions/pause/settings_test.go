package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// settingsRun is the binary in HTTP mode with one safety setting changed, talking to a DR API
// simulator of the test's own, so the pauses it sends can be counted.
type settingsRun struct {
	srv   *httpServer
	sim   *drsim.Server
	slack *slacktest.Server
}

// TestSettingsReachTheirChecks runs the real binary with each safety setting set and shows what
// it must cause: a refusal naming the setting, or for DR_CONFIRM a card instead of a pause, and
// no pause sent unless the setting allows one. Every other binary test runs with
// DR_ALLOWED_USERS=* and four-eyes off, so without this table main.go could drop a setting on
// its way to the bot, the alerts or /invoke and nothing would fail: each row fails if main
// stopped passing its setting (or passed a fixed value instead).
func TestSettingsReachTheirChecks(t *testing.T) {
	tests := []struct {
		name       string
		env        []string
		send       func(t *testing.T, r *settingsRun) string // what the requester or the channel sees
		want       []string
		notWant    []string
		wantPauses int
		wantStarts int
	}{
		{
			name: "DR_ALLOWED_USERS refuses the requester",
			env:  []string{"DR_ALLOWED_USERS=U0SOMEONE,U0ELSE"},
			send: slash("pause " + drsim.SeedRunning),
			want: []string{"U0REQUEST", "DR_ALLOWED_USERS"},
		},
		{
			name: "DR_ALLOWED_CHANNELS refuses the channel",
			env:  []string{"DR_ALLOWED_CHANNELS=C0ELSEWHERE"},
			send: slash("pause " + drsim.SeedRunning),
			want: []string{"C0LOCAL01", "DR_ALLOWED_CHANNELS"},
		},
		{
			name: "DR_ALLOWED_TEAMS refuses a command from another team",
			env:  []string{"DR_ALLOWED_TEAMS=T0ELSEWHERE,E0ELSEWHERE"},
			send: slash("pause " + drsim.SeedRunning),
			want: []string{"T0LOCAL01", "DR_ALLOWED_TEAMS"},
		},
		{
			name: "DR_ALLOWED_IDS refuses the id in Slack",
			env:  []string{"DR_ALLOWED_IDS=" + drsim.SeedStopFailed},
			send: slash("pause " + drsim.SeedRunning),
			want: []string{drsim.SeedRunning, "DR_ALLOWED_IDS"},
		},
		{
			name: "DR_ALLOWED_IDS refuses the id on /invoke",
			env:  []string{"DR_ALLOWED_IDS=" + drsim.SeedStopFailed},
			send: invokePause(drsim.SeedRunning),
			want: []string{"403", `"code":"id_not_allowed"`, "DR_ALLOWED_IDS"},
		},
		{
			name: "DR_ALLOWED_IDS drops the id an alert names",
			env:  []string{"DR_ALLOWED_IDS=" + drsim.SeedStopFailed, "DR_ALERT_AUTO=true"},
			send: alert(drsim.SeedRunning),
			want: []string{`"decision":"ignored"`, `"dropped":["` + drsim.SeedRunning + `"]`},
		},
		{
			name:    "DR_CONFIRM=true asks with a card",
			env:     []string{"DR_CONFIRM=true"},
			send:    slash("pause " + drsim.SeedRunning),
			want:    []string{`"action_id":"dr_pause"`, `"action_id":"dr_cancel"`},
			notWant: []string{"Pausing DR"},
		},
		{
			name:       "DR_CONFIRM=false pauses at once",
			env:        []string{"DR_CONFIRM=false"},
			send:       slashThenWait("pause "+drsim.SeedRunning, "status *stopped*"),
			want:       []string{"status *stopped*"},
			notWant:    []string{`"action_id":"dr_pause"`},
			wantPauses: 1,
		},
		{
			name: "DR_FOUR_EYES refuses the requester's own click",
			env:  []string{"DR_FOUR_EYES=true"},
			send: clickOwnCard(drsim.SeedRunning),
			want: []string{"Four-eyes", "U0REQUEST", "DR_FOUR_EYES"},
		},
		{
			name:    "DR_RESUME unset refuses /dr resume, naming it",
			send:    slash("resume " + drsim.SeedStopped),
			want:    []string{"Resume is off", "DR_RESUME"},
			notWant: []string{`"action_id":"dr_resume"`},
		},
		{
			name: "DR_RESUME unset refuses a resume on /invoke",
			send: invokeAction(drsim.SeedStopped, "resume"),
			want: []string{"403", `"code":"resume_disabled"`, "DR_RESUME"},
		},
		{
			name: "DR_RESUME=true asks with a resume card",
			env:  []string{"DR_RESUME=true"},
			send: slash("resume " + drsim.SeedStopped),
			want: []string{`"action_id":"dr_resume"`, `"action_id":"dr_cancel"`, "the only good copy"},
		},
		{
			name:       "DR_RESUME=true resumes on /invoke",
			env:        []string{"DR_RESUME=true"},
			send:       invokeAction(drsim.SeedStopped, "resume"),
			want:       []string{"200 ", `"disaster_recovery":{"id":"` + drsim.SeedStopped + `"}`},
			wantStarts: 1,
		},
		{
			name: "DR_ALERT_MAX_IDS refuses a request naming more ids",
			env:  []string{"DR_ALERT_MAX_IDS=1", "DR_ALERT_AUTO=true"},
			send: alert(drsim.SeedRunning, drsim.SeedStopFailed),
			want: []string{`"decision":"refused"`, "limit of 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startSettingsRun(t, tt.env)
			got := tt.send(t, r)
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("got %s; want it to contain %s", got, s)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(got, s) {
					t.Errorf("got %s; want no %s", got, s)
				}
			}
			if n := r.sim.Sim.Count(drsim.RoutePause); n != tt.wantPauses {
				t.Errorf("pause calls to the DR API: got %d; want %d", n, tt.wantPauses)
			}
			if n := r.sim.Sim.Count(drsim.RouteStart); n != tt.wantStarts {
				t.Errorf("start calls to the DR API: got %d; want %d", n, tt.wantStarts)
			}
		})
	}
}

// startSettingsRun starts the binary with a deployment allowing everyone everywhere, every
// alert route on, and env on top.
func startSettingsRun(t *testing.T, env []string) *settingsRun {
	t.Helper()
	slack := newSlack(t)
	creds := drsim.LocalCredentials()
	sim := startSim(t, creds)
	base := []string{
		"DR_ENDPOINT=" + sim.URL(),
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"HUAWEICLOUD_SDK_AK=" + creds.AccessKey,
		"HUAWEICLOUD_SDK_SK=" + creds.SecretKey,
		"SLACK_SIGNING_SECRET=" + slacktest.LocalSecret,
		"SLACK_BOT_TOKEN=" + botToken,
		"SLACK_API_URL=" + slack.APIURL(),
		"DR_ALLOWED_USERS=*",
		"DR_INVOKE_TOKEN=" + invokeToken,
		"DR_ALERT_TOKEN=" + alertToken,
		"DR_ALERT_CHANNEL=C0LOCAL01",
	}
	return &settingsRun{srv: startHTTP(t, append(base, env...)), sim: sim, slack: slack}
}

// slash sends a signed /dr command from U0REQUEST in C0LOCAL01 and returns the answer.
func slash(text string) func(*testing.T, *settingsRun) string {
	return func(t *testing.T, r *settingsRun) string {
		body := slashBody(text, r.slack.ResponseURL("command"))
		status, answer := post(t, r.srv.url+"/slack/commands", "application/x-www-form-urlencoded", body, slackHeaders(body))
		if status != http.StatusOK {
			t.Fatalf("/dr %s: got %d %s; want 200", text, status, answer)
		}
		return string(answer)
	}
}

// slashThenWait sends the command, waits for a Slack message holding want and returns the
// answer followed by that message.
func slashThenWait(text, want string) func(*testing.T, *settingsRun) string {
	return func(t *testing.T, r *settingsRun) string {
		answer := slash(text)(t, r)
		m := waitMessage(t, r.slack, mentions(want))
		return answer + "\n" + m.Render()
	}
}

// clickOwnCard asks for a pause card of id as U0REQUEST, clicks its Pause button as the same
// user, and returns the first message the click brought, whatever it says.
func clickOwnCard(id string) func(*testing.T, *settingsRun) string {
	return func(t *testing.T, r *settingsRun) string {
		var card map[string]any
		if err := json.Unmarshal([]byte(slash("pause "+id)(t, r)), &card); err != nil {
			t.Fatalf("/dr pause answer: %v", err)
		}
		value, ok := slacktest.Buttons(card)["dr_pause"]
		if !ok {
			t.Fatalf("card: no dr_pause button in %v", card)
		}
		click := clickBodyBy("U0REQUEST", value, r.slack.ActionURL("click"))
		if status, b := post(t, r.srv.url+"/slack/interactions", "application/x-www-form-urlencoded", click, slackHeaders(click)); status != http.StatusOK {
			t.Fatalf("click: got %d %s; want 200", status, b)
		}
		m := waitMessage(t, r.slack, func(m slacktest.Post) bool { return strings.HasSuffix(m.Path, "/actions/click") })
		return m.Render()
	}
}

// invokePause sends POST /invoke for id and returns the status and the answer.
func invokePause(id string) func(*testing.T, *settingsRun) string { return invokeAction(id, "pause") }

// invokeAction sends POST /invoke asking for action on id and returns the status and the answer.
func invokeAction(id, action string) func(*testing.T, *settingsRun) string {
	return func(t *testing.T, r *settingsRun) string {
		body := []byte(`{"disaster_recovery_id":"` + id + `","action":"` + action + `"}`)
		status, answer := post(t, r.srv.url+"/invoke", "application/json", body, http.Header{"Authorization": {"Bearer " + invokeToken}})
		return fmt.Sprintf("%d %s", status, answer)
	}
}

// alert sends an Alertmanager request with one firing alert per id and returns the answer.
func alert(ids ...string) func(*testing.T, *settingsRun) string {
	return func(t *testing.T, r *settingsRun) string {
		type amAlert struct {
			Status      string            `json:"status"`
			Labels      map[string]string `json:"labels"`
			StartsAt    string            `json:"startsAt"`
			Fingerprint string            `json:"fingerprint"`
		}
		msg := struct {
			Version string    `json:"version"`
			Status  string    `json:"status"`
			Alerts  []amAlert `json:"alerts"`
		}{Version: "4", Status: "firing"}
		for i, id := range ids {
			msg.Alerts = append(msg.Alerts, amAlert{Status: "firing", StartsAt: time.Now().UTC().Format(time.RFC3339),
				Fingerprint: fmt.Sprintf("f%d", i), Labels: map[string]string{"alertname": "DRLagHigh", "disaster_recovery_id": id}})
		}
		body, _ := json.Marshal(msg)
		status, answer := post(t, r.srv.url+"/alerts/alertmanager", "application/json", body, http.Header{"Authorization": {"Bearer " + alertToken}})
		if status != http.StatusOK {
			t.Fatalf("alert: got %d %s; want 200", status, answer)
		}
		return string(answer)
	}
}
