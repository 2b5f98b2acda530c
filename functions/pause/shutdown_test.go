package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// TestShutdownWithWorkRunning sends SIGTERM to the real binary while deferred work runs. Work
// that fits in DR_SHUTDOWN_GRACE finishes and reports before the process exits; work that
// does not is cut short, and Slack hears that it was interrupted, with the DR and how to check
// it, before the process exits 0. Either way the log says what happened. TestHTTPMode covers
// SIGTERM with nothing running.
func TestShutdownWithWorkRunning(t *testing.T) {
	id := drsim.SeedRunning
	// A DR API of the test's own keeps the DR stopping until the binary is shutting down, so the
	// pause is sure to be running at SIGTERM and to end within the grace, however busy the
	// machine.
	creds := drsim.LocalCredentials()
	heldSim, err := drsim.Start(drsim.Options{Credentials: creds, StoppingFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { heldSim.Close() })
	tests := []struct {
		name string
		env  []string
		// start asks for the work and returns once it runs.
		start func(t *testing.T, srv *httpServer, slack *slacktest.Server)
		// shuttingDown, if set, runs once the binary has logged that it is shutting down.
		shuttingDown func(t *testing.T)
		wantSlack    []string // in one message, delivered before the exit
		wantLog      []string
		notLog       []string
	}{
		{
			name: "pause finishes within the grace",
			env: []string{"DR_SIMULATE=false", "DR_ENDPOINT=" + heldSim.URL(), "DR_PROJECT_ID=" + drsim.ProjectID,
				"HUAWEICLOUD_SDK_AK=" + creds.AccessKey, "HUAWEICLOUD_SDK_SK=" + creds.SecretKey, "DR_SHUTDOWN_GRACE=20s"},
			start: func(t *testing.T, srv *httpServer, slack *slacktest.Server) {
				clickPause(t, srv, slack, id)
				// The pause was sent: the DR is seen stopping, and stays so until released.
				waitMessage(t, slack, mentions("status *stopping*"))
			},
			shuttingDown: func(t *testing.T) {
				if err := heldSim.Sim.SetStatus(id, drapi.StatusStopped); err != nil {
					t.Fatal(err)
				}
			},
			wantSlack: []string{"DR `" + id + "` is paused: status *stopped*"},
			wantLog:   []string{`"msg":"stopped"`, `"outcome":"stopped"`},
			notLog:    []string{"interrupted", "shutdown cut work short"},
		},
		{
			name: "pause cut short",
			env:  []string{"DR_SIMULATE_DELAY=1m", "DR_SHUTDOWN_GRACE=1s"},
			start: func(t *testing.T, srv *httpServer, slack *slacktest.Server) {
				clickPause(t, srv, slack, id)
				// The pause was sent: the DR is seen stopping.
				waitMessage(t, slack, mentions("status *stopping*"))
			},
			wantSlack: []string{"Interrupted while pausing DR `" + id + "`", "Check with `/dr status " + id + "`"},
			wantLog:   []string{`"outcome":"interrupted"`, `"disaster_recovery_id":"` + id + `"`, "shutdown cut work short"},
			notLog:    []string{`"msg":"stopped"`},
		},
		{
			name: "deferred lookup cut short",
			env:  []string{"DR_SIMULATE_LATENCY=1m", "DR_SHUTDOWN_GRACE=1s"},
			start: func(t *testing.T, srv *httpServer, slack *slacktest.Server) {
				body := slashBody("status "+id, slack.ResponseURL("status"))
				status, b := post(t, srv.url+"/slack/commands", "application/x-www-form-urlencoded", body, slackHeaders(body))
				if status != http.StatusOK || !strings.Contains(string(b), "Working on it") {
					t.Fatalf("/dr status: got %d %s; want 200 saying the answer will follow", status, b)
				}
			},
			wantSlack: []string{"Interrupted before the DR API answered", "Try `/dr status " + id + "` again"},
			wantLog:   []string{"shutdown cut work short"},
			notLog:    []string{`"msg":"stopped"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slack := newSlack(t)
			srv := startHTTP(t, append(baseEnv(slack), tt.env...))
			tt.start(t, srv, slack)
			for _, m := range slack.Posts() {
				if containsAll(m.Render(), tt.wantSlack) {
					t.Fatalf("the work ended before SIGTERM: %s", m.JSON())
				}
			}

			if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if tt.shuttingDown != nil {
				waitLog(t, srv, `"msg":"shutting down"`)
				tt.shuttingDown(t)
			}
			select {
			case <-srv.done:
			case <-time.After(20 * time.Second):
				t.Fatal("still running 20s after SIGTERM")
			}
			if srv.waitErr != nil {
				t.Errorf("exit after SIGTERM: got %v; want status 0", srv.waitErr)
			}
			// No waiting here: the message must have arrived before the process ended.
			found := false
			for _, m := range slack.Posts() {
				text := m.Render()
				if m.OK() && containsAll(text, tt.wantSlack) {
					found = true
				}
			}
			if !found {
				var seen []string
				for _, m := range slack.Posts() {
					seen = append(seen, m.String()+": "+m.Render())
				}
				t.Errorf("Slack before the exit: got\n%s\nwant a message with %q", strings.Join(seen, "\n"), tt.wantSlack)
			}
			out := srv.out.String()
			for _, s := range tt.wantLog {
				if !strings.Contains(out, s) {
					t.Errorf("log: no %s in\n%s", s, out)
				}
			}
			for _, s := range tt.notLog {
				if strings.Contains(out, s) {
					t.Errorf("log: got %s; want none in\n%s", s, out)
				}
			}
		})
	}
}

// clickPause asks for a pause card of id, clicks its Pause button and returns once the bot has
// acknowledged the click, i.e. the pause job is running.
func clickPause(t *testing.T, srv *httpServer, slack *slacktest.Server, id string) {
	t.Helper()
	body := slashBody("pause "+id, slack.ResponseURL("command"))
	status, card := post(t, srv.url+"/slack/commands", "application/x-www-form-urlencoded", body, slackHeaders(body))
	var fields map[string]any
	if status != http.StatusOK || json.Unmarshal(card, &fields) != nil {
		t.Fatalf("/dr pause: got %d %s; want 200 with a card", status, card)
	}
	value, ok := slacktest.Buttons(fields)["dr_pause"]
	if !ok {
		t.Fatalf("card: no dr_pause button in %s", card)
	}
	click := clickBody(value, slack.ActionURL("click"))
	if status, b := post(t, srv.url+"/slack/interactions", "application/x-www-form-urlencoded", click, slackHeaders(click)); status != http.StatusOK {
		t.Fatalf("click: got %d %s; want 200", status, b)
	}
	waitMessage(t, slack, mentions("Pausing DR `"+id+"`"))
}

// waitLog waits until the binary has written a log line holding s. The whole output is read
// again at each new line, since lines arriving while nobody listens are not queued forever.
func waitLog(t *testing.T, srv *httpServer, s string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for !strings.Contains(srv.out.String(), s) {
		select {
		case <-srv.out.lines:
		case <-timeout:
			t.Fatalf("no log line with %s in\n%s", s, srv.out)
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
