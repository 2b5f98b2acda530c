package alerts_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/pkg/ledger"
	"github.com/dws-dr/drpause/pkg/logtest"
)

const (
	idD = "c1d2e3f4-0000-4b5c-9d8e-123456789ac0"
	idE = "c1d2e3f4-0000-4b5c-9d8e-123456789ac1"
)

// firingFor is an Alertmanager body of one firing alert naming id, with fingerprint fp.
func firingFor(t *testing.T, id, fp string) []byte {
	t.Helper()
	return webhookBody(t, 0, nil, amAlert{status: "firing", id: id, fingerprint: fp})
}

// budgetSetup is the deployment of the storm budget tests: auto-pause, every id allowed, at most
// two distinct ids within ten minutes.
func budgetSetup(c *alerts.Config) {
	c.Auto, c.MaxIDs, c.Window, c.AllowedIDs = true, 2, 10*time.Minute, allowAll
}

// TestStormBudgetSlides walks the budget along an injected clock: at most two distinct ids
// within any ten minutes, counted across requests; past it a request is refused whole and the
// channel is told once per window; an id leaving the window frees its place.
func TestStormBudgetSlides(t *testing.T) {
	h, act, clk := setup(t, budgetSetup)
	steps := []struct {
		at           time.Duration // since the start
		body         []byte
		wantDecision string
		wantIDs      []string
		wantNotified int // notices so far
		wantReason   string
	}{
		{at: 0, body: firingFor(t, idA, "a1"), wantDecision: "paused", wantIDs: []string{idA}},
		{at: 4 * time.Minute, body: firingFor(t, idB, "b1"), wantDecision: "paused", wantIDs: []string{idB}},
		// An id already within the window costs nothing more, whatever alert names it.
		{at: 4*time.Minute + 30*time.Second, body: firingFor(t, idA, "a2"), wantDecision: "paused", wantIDs: []string{idA}},
		{at: 5 * time.Minute, body: firingFor(t, idC, "c1"), wantDecision: "refused", wantIDs: []string{idC}, wantNotified: 1,
			wantReason: "storm budget"},
		{at: 6 * time.Minute, body: firingFor(t, idD, "d1"), wantDecision: "refused", wantIDs: []string{idD}, wantNotified: 1,
			wantReason: "already reported"},
		// A's last admission was at 4m30s: it leaves the window at 14m30s, B at 14m.
		{at: 14*time.Minute + time.Second, body: firingFor(t, idC, "c1"), wantDecision: "paused", wantIDs: []string{idC}, wantNotified: 1},
		{at: 14*time.Minute + 2*time.Second, body: firingFor(t, idD, "d1"), wantDecision: "refused", wantIDs: []string{idD}, wantNotified: 1,
			wantReason: "already reported"},
		{at: 14*time.Minute + 31*time.Second, body: firingFor(t, idD, "d1"), wantDecision: "paused", wantIDs: []string{idD}, wantNotified: 1},
		// The notice of 5m held until 15m: the next refusal after it tells the channel again.
		{at: 15*time.Minute + time.Second, body: firingFor(t, idE, "e1"), wantDecision: "refused", wantIDs: []string{idE}, wantNotified: 2,
			wantReason: "storm budget"},
	}
	start := clk.Now()
	paused := 0
	for i, s := range steps {
		clk.Advance(start.Add(s.at).Sub(clk.Now()))
		status, got := post(t, h.Alertmanager(), bearer(alertToken), s.body)
		if status != http.StatusOK || got.Decision != s.wantDecision || !slices.Equal(got.IDs, s.wantIDs) {
			t.Fatalf("step %d at %s: got %d %q %q (%s); want 200 %q %q", i, s.at, status, got.Decision, got.IDs, got.Reason, s.wantDecision, s.wantIDs)
		}
		if !strings.Contains(got.Reason, s.wantReason) {
			t.Errorf("step %d: reason %q; want it to contain %q", i, got.Reason, s.wantReason)
		}
		if got.Decision == "paused" {
			paused++
		}
		checkCalls(t, act, 0, paused, s.wantNotified)
	}
	notice := act.notified[0]
	for _, want := range []string{channel + ": ", "refused, nothing was paused", idA, idB, "DR_ALERT_MAX_IDS=2", "10m0s",
		"refused without another message for 10m0s"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice %q lacks %q", notice, want)
		}
	}
}

// TestRefusedRequestUsesNoBudget: a request the budget refuses records nothing, so the next
// request that fits is admitted; duplicates and ids that are dropped never count either.
func TestRefusedRequestUsesNoBudget(t *testing.T) {
	h, act, _ := setup(t, func(c *alerts.Config) { budgetSetup(c); c.AllowedIDs = allowOnly(idA, idB, idC) })
	send := func(body []byte, want string) {
		t.Helper()
		if status, got := post(t, h.Alertmanager(), bearer(alertToken), body); status != http.StatusOK || got.Decision != want {
			t.Fatalf("got %d %q (%s); want 200 %q", status, got.Decision, got.Reason, want)
		}
	}
	send(firingFor(t, idA, "a1"), "paused")
	send(firingFor(t, idA, "a1"), "ignored")       // a duplicate
	send(firingFor(t, idOutside, "o1"), "ignored") // dropped: not allow-listed
	send(firingFor(t, idOutside, "o2"), "ignored") // dropped again
	send(webhookBody(t, 0, nil,                    // two ids, within the per-request limit,
		amAlert{status: "firing", id: idB, fingerprint: "b1"}, // but three with A
		amAlert{status: "firing", id: idC, fingerprint: "c1"}), "refused")
	send(firingFor(t, idB, "b2"), "paused")
	checkCalls(t, act, 0, 2, 3)
	if got := act.paused[1].IDs; !slices.Equal(got, []string{idB}) {
		t.Errorf("second pause: got %q; want [%s]", got, idB)
	}
}

// TestDedupAcrossHandlers: two instances sharing one ledger, and an instance started after the
// first one stopped, see the same alert as one.
func TestDedupAcrossHandlers(t *testing.T) {
	l := ledger.NewMemory()
	l.Now = func() time.Time { return testNow } // the handlers' clocks stand still there too
	shared := func(c *alerts.Config) { c.Ledger = l }
	first, act1, _ := setup(t, shared)
	second, act2, _ := setup(t, shared)
	_, a1 := post(t, first.Alertmanager(), bearer(alertToken), []byte(referenceAlertmanager))
	_, a2 := post(t, second.Alertmanager(), bearer(alertToken), []byte(referenceAlertmanager))
	restarted, act3, _ := setup(t, shared)
	_, a3 := post(t, restarted.Alertmanager(), bearer(alertToken), []byte(referenceAlertmanager))
	if a1.Decision != "proposed" || a2.Decision != "ignored" || a3.Decision != "ignored" {
		t.Errorf("decisions: got %q, %q, %q; want proposed, then ignored twice", a1.Decision, a2.Decision, a3.Decision)
	}
	checkCalls(t, act1, 1, 0, 0)
	checkCalls(t, act2, 0, 0, 0)
	checkCalls(t, act3, 0, 0, 0)
}

// failingLedger is a Memory ledger whose operations named in fail answer as an unreachable
// DynamoDB table would.
type failingLedger struct {
	*ledger.Memory
	fail map[string]bool // "Claim", "Release", "Reserve"
}

var _ alerts.Ledger = (*failingLedger)(nil)

const failingTable = "DynamoDB table drpause-ledger-unreachable"

func (f *failingLedger) unavailable() error {
	return &ledger.UnavailableError{Ledger: failingTable, Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
}

func (f *failingLedger) Claim(ctx context.Context, key, holder string, until time.Time) (ledger.Result, error) {
	if f.fail["Claim"] {
		return ledger.Result{}, f.unavailable()
	}
	return f.Memory.Claim(ctx, key, holder, until)
}

func (f *failingLedger) Release(ctx context.Context, key, holder string) error {
	if f.fail["Release"] {
		return f.unavailable()
	}
	return f.Memory.Release(ctx, key, holder)
}

func (f *failingLedger) Reserve(ctx context.Context, budget string, ids []string, max int, window time.Duration) (ledger.Budget, error) {
	if f.fail["Reserve"] {
		return ledger.Budget{}, f.unavailable()
	}
	return f.Memory.Reserve(ctx, budget, ids, max, window)
}

// TestLedgerUnreachable: whichever ledger call fails, the route does nothing (no card, no pause,
// no notice) and answers 503 with a body that does not name the ledger, so the sender retries;
// the log names it. Once the ledger is back, the retry acts: nothing claimed stayed claimed.
func TestLedgerUnreachable(t *testing.T) {
	storm := webhookBody(t, 0, nil,
		amAlert{status: "firing", id: idA, fingerprint: "f1"},
		amAlert{status: "firing", id: idB, fingerprint: "f2"},
		amAlert{status: "firing", id: idC, fingerprint: "f3"})
	tests := []struct {
		name, fail   string
		auto         bool
		body         []byte
		wantDecision string // of the retry once the ledger is back
	}{
		{name: "claim, proposing", fail: "Claim", body: []byte(referenceAlertmanager), wantDecision: "proposed"},
		{name: "claim, pausing", fail: "Claim", auto: true, body: []byte(referenceAlertmanager), wantDecision: "paused"},
		{name: "reserve, pausing", fail: "Reserve", auto: true, body: []byte(referenceAlertmanager), wantDecision: "paused"},
		{name: "claim of a refusal notice", fail: "Claim", body: storm, wantDecision: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logtest.Buffer
			l := &failingLedger{Memory: ledger.NewMemory(), fail: map[string]bool{tt.fail: true}}
			h, act, clk := setup(t, func(c *alerts.Config) {
				c.Auto, c.Ledger = tt.auto, l
				c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			})
			l.Memory.Now = clk.Now
			req := httptest.NewRequest(http.MethodPost, "/alerts/alertmanager", bytes.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+alertToken)
			rec := httptest.NewRecorder()
			h.Alertmanager().ServeHTTP(rec, req)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status: got %d %s; want 503", rec.Code, rec.Body)
			}
			if body := rec.Body.String(); strings.Contains(body, "DynamoDB") || strings.Contains(body, "ledger") ||
				!strings.Contains(body, "nothing was done") {
				t.Errorf("body %s: want a generic answer saying nothing was done, not naming the ledger", body)
			}
			checkCalls(t, act, 0, 0, 0)
			if !strings.Contains(logs.String(), `"ledger":"`+failingTable+`"`) {
				t.Errorf("log does not name the ledger:\n%s", logs.String())
			}

			l.fail = nil
			if status, a := post(t, h.Alertmanager(), bearer(alertToken), tt.body); status != http.StatusOK || a.Decision != tt.wantDecision {
				t.Errorf("retry once the ledger is back: got %d %q (%s); want 200 %q", status, a.Decision, a.Reason, tt.wantDecision)
			}
		})
	}
}

// TestAlertsNamingNoIDCostTheLedgerNothing: firing alerts without a DR id can never act, so a
// request of only such alerts is answered without a call to the ledger, even an unreachable one.
func TestAlertsNamingNoIDCostTheLedgerNothing(t *testing.T) {
	l := &failingLedger{Memory: ledger.NewMemory(), fail: map[string]bool{"Claim": true, "Reserve": true}}
	h, act, _ := setup(t, func(c *alerts.Config) { c.Ledger = l })
	body := webhookBody(t, 0, nil, amAlert{status: "firing", fingerprint: "n1"}, amAlert{status: "firing", fingerprint: "n2"})
	if status, got := post(t, h.Alertmanager(), bearer(alertToken), body); status != http.StatusOK || got.Decision != "ignored" {
		t.Errorf("got %d %q (%s); want 200 ignored", status, got.Decision, got.Reason)
	}
	checkCalls(t, act, 0, 0, 0)
}
