package bot

import (
	"cmp"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

const (
	// matrixWait is DR_WAIT in the rows that do not test it: far more than any row needs, so a
	// slow machine cannot turn a failure into "no answer within DR_WAIT".
	matrixWait = 15 * time.Second
)

// TestFaultMatrix clicks Pause on a card made by /dr pause, signed as Slack signs it, while the
// simulator spoils the pause POST in every way the DR API can fail, and checks the final
// message the user reads and how many pause POSTs were sent. The real drapi client talks to the
// simulator. The README's "What happens when ..." table is this table in words.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	const (
		notPaused   = drapi.StatusRunning
		paused      = drapi.StatusStopped
		maybe       = "may or may not have been accepted"
		credsWords  = "rejected the credentials"
		clusterGone = "DR task not found in this project, or one of its clusters is gone"
		// The code the simulator refuses a pause in a wrong status with: one drapi knows
		// nothing of, as the real one may be (it is UNVERIFIED).
		unknownCode = "DWS.4242"
	)
	apiError := func(status int, code, msg string) []drsim.Fault {
		return []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultError, Status: status, Code: code, Msg: msg}}
	}
	tests := []struct {
		name   string
		faults []drsim.Fault // spoil the pause POST; injected once the card is shown
		wait   time.Duration // DR_WAIT; zero means matrixWait
		want   []string      // in the final message
		not    []string      // not in the final message
		reqID  bool          // the final message shows an X-Request-Id
		posts  int           // pause POSTs the simulator received
		status drapi.Status  // the DR's status at the end
	}{
		{name: "400 DWS.10101 task not found",
			faults: apiError(400, "DWS.10101", "The disaster recovery task does not exist."),
			want:   []string{"DR task not found", "DWS.10101"}, not: []string{credsWords},
			reqID: true, posts: 1, status: notPaused},
		{name: "401 DWS.0047 cluster not found",
			faults: apiError(401, "DWS.0047", "The cluster does not exist."),
			want:   []string{clusterGone, "HTTP 401", "DWS.0047", "The cluster does not exist."}, not: []string{credsWords},
			reqID: true, posts: 1, status: notPaused},
		{name: "403 DWS.0015 cluster id does not exist",
			faults: apiError(403, "DWS.0015", "The cluster ID does not exist."),
			want:   []string{clusterGone, "HTTP 403", "DWS.0015"}, not: []string{credsWords},
			reqID: true, posts: 1, status: notPaused},
		{name: "400 DWS.0015 cluster id does not exist",
			faults: apiError(400, "DWS.0015", "The cluster ID does not exist."),
			want:   []string{clusterGone, "HTTP 400", "DWS.0015"}, not: []string{credsWords},
			reqID: true, posts: 1, status: notPaused},
		{name: "400 DWS.0001 bad parameter",
			faults: apiError(400, "DWS.0001", "Invalid parameter."),
			want:   []string{"DWS refused: `DWS.0001` Invalid parameter., status now *running*."},
			reqID:  true, posts: 1, status: notPaused},
		{name: "400 with an unknown code while the DR is running",
			faults: apiError(400, unknownCode, "Refused for a reason of its own."),
			want: []string{"DWS refused: `" + unknownCode + "` Refused for a reason of its own., status now *running*.",
				"error_code `" + unknownCode + "`", "error_msg “Refused for a reason of its own.”"},
			reqID: true, posts: 1, status: notPaused},
		{name: "400 with an unknown code because another pause got there first",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultPausedFirst, Times: 1}},
			want:   []string{"is paused", "Another pause got there first"}, not: []string{":x:", "failed"},
			reqID: true, posts: 1, status: paused},
		{name: "409 DWS.0011 busy",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultBusy}},
			want:   []string{"DWS is busy with another operation on this cluster; try again in a minute.", "error_code `DWS.0011`", "HTTP 409"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "404 DWS.3027 cluster deleted",
			faults: apiError(404, "DWS.3027", "The cluster has been deleted."),
			want:   []string{"not found", "DWS.3027"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "500 DWS.9999 internal error",
			faults: apiError(500, "DWS.9999", "Internal error."),
			want:   []string{"DWS API failed (HTTP 500)", maybe, "/dr status", "DWS.9999"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "401 APIGW.0301 signature rejected",
			faults: apiError(401, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail"),
			want:   []string{credsWords, "APIGW.0301"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "403 forbidden",
			faults: apiError(403, "APIGW.0302", "The project id in the request does not match the authorized project."),
			want:   []string{credsWords, "dws:cluster:pauseDisasterRecovery", "APIGW.0302"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "404 API not found",
			faults: apiError(404, "APIG.0101", "The API does not exist or has not been published in the environment."),
			want:   []string{"not found", "APIG.0101"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "429 then success",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultThrottle, RetryAfter: time.Second, Times: 1}},
			want:   []string{"is paused", "*stopped*"},
			reqID:  true, posts: 2, status: paused},
		{name: "429 forever",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultThrottle, RetryAfter: time.Second}},
			want:   []string{"throttled by the DWS API after 4 tries", "try again in a minute", "APIG.0308"},
			reqID:  true, posts: 4, status: notPaused},
		{name: "503 unavailable",
			faults: apiError(503, "DWS.9999", "Service unavailable."),
			want:   []string{"DWS API failed (HTTP 503)", maybe, "/dr status"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "500 after the pause took effect",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultLost, Status: 500}},
			want:   []string{"is paused", "*stopped*"}, not: []string{":x:"},
			reqID: true, posts: 1, status: paused},
		{name: "timeout before the pause took effect",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultDelay, Delay: time.Minute}},
			wait:   time.Second,
			want:   []string{"did not answer the pause", "within DR_WAIT", maybe, "/dr status " + drsim.SeedRunning},
			not:    []string{"was accepted but"},
			reqID:  false, posts: 1, status: notPaused},
		{name: "answer lost after the pause took effect",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultLost}},
			want:   []string{"is paused", "*stopped*"}, not: []string{":x:"},
			reqID: false, posts: 1, status: paused},
		{name: "connection reset",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultReset}},
			want:   []string{"could not reach the DWS API", maybe, "/dr status"},
			reqID:  false, posts: 1, status: notPaused},
		{name: "malformed JSON",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultMalformed}},
			want:   []string{"or got an unreadable answer", maybe, "/dr status"},
			reqID:  true, posts: 1, status: notPaused},
		{name: "HTML error page",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultHTML}},
			want:   []string{"DWS API failed (HTTP 502)", maybe, "502 Bad Gateway"}, not: []string{"<html>", "<center>"},
			reqID: true, posts: 1, status: notPaused},
		{name: "10 MB body",
			faults: []drsim.Fault{{Route: drsim.RoutePause, Kind: drsim.FaultOversized, Size: 10 << 20}},
			want:   []string{"or got an unreadable answer", maybe, "/dr status"},
			reqID:  true, posts: 1, status: notPaused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate, RefusalCode: unknownCode})
			e := newEnv(t, dr, func(c *Config) {
				c.Wait = cmp.Or(tt.wait, matrixWait)
			})
			// No latency checks here, unlike env.command and env.click: other tests keep that
			// promise, and twenty simulators on a loaded machine would only make this one flaky.
			w := serve(e.bot.Commands(), signedRequest("/slack/commands",
				commandBody("U1", chanID, "pause "+drsim.SeedRunning, e.slack.ResponseURL("cmd"))))
			if w.Code != http.StatusOK {
				t.Fatalf("command: got status %d (%s); want 200", w.Code, w.Body)
			}
			card := decodeMessage(t, w.Body.Bytes())
			srv.Sim.Inject(tt.faults...)
			w = serve(e.bot.Interactions(), signedRequest("/slack/interactions",
				clickBody(t, "U2", chanID, card, actionsBlockID(drsim.SeedRunning), actionPause, e.slack.ActionURL("click"))))
			if w.Code != http.StatusOK {
				t.Fatalf("click: got status %d (%s); want 200", w.Code, w.Body)
			}

			final, _ := e.slack.Until(t, isFinal)
			contains(t, "final", final.JSON(), tt.want...)
			for _, s := range tt.not {
				if strings.Contains(final.JSON(), s) {
					t.Errorf("final: got %q; want it without %q", final.JSON(), s)
				}
			}
			if got := shownRequestID.MatchString(final.JSON()); got != tt.reqID {
				t.Errorf("final shows an X-Request-Id: got %v; want %v (%s)", got, tt.reqID, final.JSON())
			}
			if n := srv.Sim.Count(drsim.RoutePause); n != tt.posts {
				t.Errorf("got %d pause POSTs; want %d", n, tt.posts)
			}
			if got, _ := srv.Sim.Status(drsim.SeedRunning); got != tt.status {
				t.Errorf("DR status at the end: got %s; want %s", got, tt.status)
			}
		})
	}
}

// shownRequestID matches, in a message's JSON, an X-Request-Id of the simulator as the message
// shows it: after its label (a field's title, or words), in a code span.
var shownRequestID = regexp.MustCompile("X-Request-Id[^`]*`[0-9a-f]{32}`")

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
