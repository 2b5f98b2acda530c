package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/pkg/ledger"
	"github.com/dws-dr/drpause/pkg/logtest"
)

const (
	idA        = "c1d2e3f4-0000-4b5c-9d8e-123456789abc" // the reference payload's id
	idB        = "c1d2e3f4-0000-4b5c-9d8e-123456789abd"
	idC        = "c1d2e3f4-0000-4b5c-9d8e-123456789abe"
	idOutside  = "c1d2e3f4-0000-4b5c-9d8e-123456789abf" // valid, never allow-listed
	alertToken = "test-alert-token"
	channel    = "C0ALERTS"
)

// fakeActions records every call; a nil function field means the call succeeds.
type fakeActions struct {
	ProposePauseFunc func(ctx context.Context, p bot.Proposal) error
	PauseNowFunc     func(ctx context.Context, p bot.Proposal) error
	NotifyFunc       func(ctx context.Context, channel, text string) error

	mu       sync.Mutex
	proposed []bot.Proposal
	paused   []bot.Proposal
	notified []string
}

var _ alerts.Actions = (*fakeActions)(nil)

func (f *fakeActions) ProposePause(ctx context.Context, p bot.Proposal) error {
	f.mu.Lock()
	f.proposed = append(f.proposed, p)
	f.mu.Unlock()
	if f.ProposePauseFunc != nil {
		return f.ProposePauseFunc(ctx, p)
	}
	return nil
}

func (f *fakeActions) PauseNow(ctx context.Context, p bot.Proposal) error {
	f.mu.Lock()
	f.paused = append(f.paused, p)
	f.mu.Unlock()
	if f.PauseNowFunc != nil {
		return f.PauseNowFunc(ctx, p)
	}
	return nil
}

func (f *fakeActions) Notify(ctx context.Context, ch, text string) error {
	f.mu.Lock()
	f.notified = append(f.notified, ch+": "+text)
	f.mu.Unlock()
	if f.NotifyFunc != nil {
		return f.NotifyFunc(ctx, ch, text)
	}
	return nil
}

// calls returns how many times each action ran.
func (f *fakeActions) calls() (proposed, paused, notified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.proposed), len(f.paused), len(f.notified)
}

// clock is a settable time source, so the dedup TTL and the Grafana window need no waiting.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testNow = time.Date(2026, 11, 20, 8, 15, 0, 0, time.UTC)

// setup returns a Handler with every route enabled, and its fake actions and clock.
func setup(t *testing.T, edit func(*alerts.Config)) (*alerts.Handler, *fakeActions, *clock) {
	t.Helper()
	act := &fakeActions{}
	clk := &clock{t: testNow}
	l := ledger.NewMemory()
	l.Now = clk.Now
	cfg := alerts.Config{
		AlertBearer:   bearerCheck(alertToken),
		GrafanaSecret: grafanaSecret,
		SMNTopics:     []string{testTopic},
		SMNMap:        map[string]string{"alarm-dr-primary": idA, "3dc7b9ea-70b4-4c38-942d-e2636e6d844c": idB},
		Channel:       channel,
		AllowedIDs:    allowOnly(idA, idB, idC),
		Ledger:        l,
		Now:           clk.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := alerts.New(cfg, act)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h, act, clk
}

// answer is a decoded 200 answer.
type answer struct {
	Decision string   `json:"decision"`
	IDs      []string `json:"ids"`
	Dropped  []string `json:"dropped"`
	Reason   string   `json:"reason"`
}

// post sends body to handler and returns the status and, for a 200, the decoded answer.
func post(t *testing.T, handler http.Handler, header http.Header, body []byte) (int, answer) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/alerts/x", bytes.NewReader(body))
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	var a answer
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("decode answer %q: %v", rec.Body.String(), err)
		}
	}
	return rec.Code, a
}

// referenceAlertmanager is the webhook of the reference, as Alertmanager v0.35.0 sends it.
const referenceAlertmanager = `{"receiver":"dws-dr-pause","status":"firing",
 "alerts":[{"status":"firing",
   "labels":{"alertname":"DWSPrimaryUnhealthy","disaster_recovery_id":"c1d2e3f4-0000-4b5c-9d8e-123456789abc","severity":"critical"},
   "annotations":{"summary":"Primary DWS cluster unhealthy"},
   "startsAt":"2026-11-20T08:14:03.512Z","endsAt":"0001-01-01T00:00:00Z",
   "generatorURL":"http://prometheus:9090/graph?g0.expr=...","fingerprint":"5f3a9c2e8b7d4a10"}],
 "notification_reason":"first notification",
 "groupLabels":{"alertname":"DWSPrimaryUnhealthy"},
 "commonLabels":{"alertname":"DWSPrimaryUnhealthy","severity":"critical"},
 "commonAnnotations":{"summary":"Primary DWS cluster unhealthy"},"routeLabels":{},
 "externalURL":"http://alertmanager:9093","version":"4",
 "groupKey":"{}/{severity=\"critical\"}:{alertname=\"DWSPrimaryUnhealthy\"}","truncatedAlerts":0}`

// amAlert is one alert of a built webhook; an empty id leaves the label out.
type amAlert struct {
	status, id, fingerprint, alertname string
}

// webhookBody builds an Alertmanager-shaped body (older releases: no notification_reason, no
// routeLabels), with extra top-level fields merged in, as Grafana adds its own.
func webhookBody(t *testing.T, truncated int, extra map[string]any, as ...amAlert) []byte {
	t.Helper()
	var list []map[string]any
	top := "resolved"
	for _, a := range as {
		labels := map[string]string{"alertname": a.alertname, "severity": "critical"}
		if a.alertname == "" {
			labels["alertname"] = "DWSPrimaryUnhealthy"
		}
		if a.id != "" {
			labels["disaster_recovery_id"] = a.id
		}
		if a.status == "firing" {
			top = "firing"
		}
		list = append(list, map[string]any{
			"status": a.status, "labels": labels, "annotations": map[string]string{"summary": "x"},
			"startsAt": "2026-11-20T08:14:03.512Z", "endsAt": "0001-01-01T00:00:00Z",
			"generatorURL": "http://prometheus:9090/graph?g0.expr=up", "fingerprint": a.fingerprint,
		})
	}
	m := map[string]any{
		"receiver": "dws-dr-pause", "status": top, "alerts": list, "version": "4",
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{"severity": "critical"},
		"externalURL": "http://alertmanager:9093", "truncatedAlerts": truncated,
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// bearerCheck and the allow-lists below stand in for the checks the caller builds from its
// configuration: the alert routes only consult them.
func bearerCheck(token string) func(string) bool {
	return func(authorization string) bool { return authorization == "Bearer "+token }
}

func allowAll(string) bool { return true }

func allowOnly(ids ...string) func(string) bool {
	return func(id string) bool { return slices.Contains(ids, id) }
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func TestAlertmanager(t *testing.T) {
	firing := func(id, fp string) amAlert { return amAlert{status: "firing", id: id, fingerprint: fp} }
	resolved := func(id, fp string) amAlert { return amAlert{status: "resolved", id: id, fingerprint: fp} }
	tests := []struct {
		name         string
		edit         func(*alerts.Config)
		header       http.Header
		body         []byte
		wantStatus   int
		wantDecision string
		wantIDs      []string
		wantDropped  []string
		// calls of ProposePause, PauseNow and Notify
		wantProposed, wantPaused, wantNotified int
	}{
		{
			name: "reference payload proposes", header: bearer(alertToken), body: []byte(referenceAlertmanager),
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantProposed: 1,
		},
		{
			name: "auto mode pauses", edit: func(c *alerts.Config) { c.Auto = true },
			header: bearer(alertToken), body: []byte(referenceAlertmanager),
			wantStatus: 200, wantDecision: "paused", wantIDs: []string{idA}, wantPaused: 1,
		},
		{name: "missing token", body: []byte(referenceAlertmanager), wantStatus: 401},
		{name: "wrong token", header: bearer("not-the-token"), body: []byte(referenceAlertmanager), wantStatus: 401},
		{name: "token as prefix", header: bearer(alertToken + "x"), body: []byte(referenceAlertmanager), wantStatus: 401},
		{
			name: "basic scheme", header: http.Header{"Authorization": {"Basic " + alertToken}},
			body: []byte(referenceAlertmanager), wantStatus: 401,
		},
		{
			name: "route disabled", edit: func(c *alerts.Config) { c.AlertBearer = nil },
			header: bearer(""), body: []byte(referenceAlertmanager), wantStatus: 403,
		},
		{
			name: "resolved only", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, resolved(idA, "f1"), resolved(idB, "f2")),
			wantStatus: 200, wantDecision: "ignored",
		},
		{
			name: "mixed firing and resolved", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, resolved(idB, "f1"), firing(idA, "f2"), resolved(idC, "f3")),
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantProposed: 1,
		},
		{
			name: "two ids, one card", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idA, "f1"), firing(idB, "f2"), firing(idA, "f3")),
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA, idB}, wantProposed: 1,
		},
		{
			name: "three distinct ids refused", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idA, "f1"), firing(idB, "f2"), firing(idC, "f3")),
			wantStatus: 200, wantDecision: "refused", wantIDs: []string{idA, idB, idC}, wantNotified: 1,
		},
		{
			name: "three ids but one resolved", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idA, "f1"), firing(idB, "f2"), resolved(idC, "f3")),
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA, idB}, wantProposed: 1,
		},
		{
			name: "three ids within a raised limit", edit: func(c *alerts.Config) { c.MaxIDs = 3 }, header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idA, "f1"), firing(idB, "f2"), firing(idC, "f3")),
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA, idB, idC}, wantProposed: 1,
		},
		{
			name: "truncated alerts refused", header: bearer(alertToken),
			body:       webhookBody(t, 4, nil, firing(idA, "f1")),
			wantStatus: 200, wantDecision: "refused", wantIDs: []string{idA}, wantNotified: 1,
		},
		{
			name: "truncated alerts refused even when the visible ones resolved", header: bearer(alertToken),
			body:       webhookBody(t, 4, nil, resolved(idA, "f1")),
			wantStatus: 200, wantDecision: "refused", wantNotified: 1,
		},
		{
			name: "only id outside the allow-list", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idOutside, "f1")),
			wantStatus: 200, wantDecision: "ignored", wantDropped: []string{idOutside}, wantNotified: 1,
		},
		{
			name: "id outside the allow-list beside an allowed one", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idOutside, "f1"), firing(idA, "f2")),
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantDropped: []string{idOutside}, wantProposed: 1,
		},
		{
			name: "wildcard allow-list", edit: func(c *alerts.Config) { c.AllowedIDs = allowAll }, header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idOutside, "f1")),
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idOutside}, wantProposed: 1,
		},
		{
			name: "empty allow-list allows nothing", edit: func(c *alerts.Config) { c.AllowedIDs = nil }, header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(idA, "f1")),
			wantStatus: 200, wantDecision: "ignored", wantDropped: []string{idA}, wantNotified: 1,
		},
		{
			name: "invalid id reported, not used", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing("../../v2/x", "f1")),
			wantStatus: 200, wantDecision: "ignored", wantDropped: []string{`"../../v2/x" (not a valid id)`}, wantNotified: 1,
		},
		{
			name: "uppercase id is not canonical", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing(strings.ToUpper(idA), "f1")),
			wantStatus: 200, wantDecision: "ignored", wantDropped: []string{`"` + strings.ToUpper(idA) + `" (not a valid id)`}, wantNotified: 1,
		},
		{
			name: "firing without an id label", header: bearer(alertToken),
			body:       webhookBody(t, 0, nil, firing("", "f1")),
			wantStatus: 200, wantDecision: "ignored",
		},
		{
			name: "no alerts at all", header: bearer(alertToken), body: []byte(`{"version":"4"}`),
			wantStatus: 200, wantDecision: "ignored",
		},
		{name: "malformed body", header: bearer(alertToken), body: []byte(`{"alerts":[`), wantStatus: 400},
		{name: "wrong JSON type", header: bearer(alertToken), body: []byte(`{"alerts":{"status":"firing"}}`), wantStatus: 400},
		{name: "trailing garbage", header: bearer(alertToken), body: []byte(referenceAlertmanager + "x"), wantStatus: 400},
		{
			name: "oversized body", header: bearer(alertToken),
			body: append([]byte(`{"receiver":"`), bytes.Repeat([]byte("a"), 1<<20)...), wantStatus: 413,
		},
		{
			name: "oversized body without a token", body: bytes.Repeat([]byte("a"), 2<<20), wantStatus: 401,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, act, _ := setup(t, tt.edit)
			status, got := post(t, h.Alertmanager(), tt.header, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d; want %d", status, tt.wantStatus)
			}
			checkAnswer(t, got, tt.wantDecision, tt.wantIDs, tt.wantDropped)
			checkCalls(t, act, tt.wantProposed, tt.wantPaused, tt.wantNotified)
		})
	}
}

func checkAnswer(t *testing.T, got answer, decision string, ids, dropped []string) {
	t.Helper()
	if got.Decision != decision {
		t.Errorf("decision: got %q (%s); want %q", got.Decision, got.Reason, decision)
	}
	if !slices.Equal(got.IDs, ids) {
		t.Errorf("ids: got %q; want %q", got.IDs, ids)
	}
	if !slices.Equal(got.Dropped, dropped) {
		t.Errorf("dropped: got %q; want %q", got.Dropped, dropped)
	}
}

func checkCalls(t *testing.T, act *fakeActions, proposed, paused, notified int) {
	t.Helper()
	p, pn, n := act.calls()
	if p != proposed || pn != paused || n != notified {
		t.Errorf("calls (propose, pause now, notify): got (%d, %d, %d); want (%d, %d, %d)",
			p, pn, n, proposed, paused, notified)
	}
}

func TestAlertmanagerProposal(t *testing.T) {
	h, act, _ := setup(t, nil)
	body := webhookBody(t, 0, nil,
		amAlert{status: "firing", id: idA, fingerprint: "f1"},
		amAlert{status: "firing", id: idOutside, fingerprint: "f2"},
		amAlert{status: "resolved", id: idB, fingerprint: "f3"},
	)
	if status, _ := post(t, h.Alertmanager(), bearer(alertToken), body); status != 200 {
		t.Fatalf("status: got %d; want 200", status)
	}
	if len(act.proposed) != 1 {
		t.Fatalf("proposals: got %d; want 1", len(act.proposed))
	}
	got := act.proposed[0]
	want := bot.Proposal{
		Channel: channel,
		Source:  "alertmanager",
		Title:   "DWSPrimaryUnhealthy",
		IDs:     []string{idA},
		Labels:  map[string]string{"alertname": "DWSPrimaryUnhealthy", "severity": "critical", "disaster_recovery_id": idA},
		Links: []bot.Link{
			{Text: "Source", URL: "http://prometheus:9090/graph?g0.expr=up"},
			{Text: "Alertmanager", URL: "http://alertmanager:9093"},
		},
		Dropped: []string{idOutside},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("proposal:\ngot  %s\nwant %s", gotJSON, wantJSON)
	}
}

func TestRefusalTellsHumansWhy(t *testing.T) {
	h, act, _ := setup(t, nil)
	body := webhookBody(t, 0, nil,
		amAlert{status: "firing", id: idA, fingerprint: "f1"},
		amAlert{status: "firing", id: idB, fingerprint: "f2"},
		amAlert{status: "firing", id: idC, fingerprint: "f3"},
	)
	post(t, h.Alertmanager(), bearer(alertToken), body)
	if len(act.notified) != 1 {
		t.Fatalf("notifications: got %d; want 1", len(act.notified))
	}
	msg := act.notified[0]
	for _, want := range []string{channel + ": ", "refused", "nothing was paused", "3 distinct DR ids", idA, idB, idC} {
		if !strings.Contains(msg, want) {
			t.Errorf("notification %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, alertToken) {
		t.Errorf("notification %q carries the alert token", msg)
	}
}

// TestRepeatedAlert sends the same alert ten times at once, as a retrying or HA-paired sender
// would: at most one card, the rest answered as duplicates; after the TTL it acts again.
func TestRepeatedAlert(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(map[bool]string{false: "confirm", true: "auto"}[auto], func(t *testing.T) {
			h, act, clk := setup(t, func(c *alerts.Config) { c.Auto = auto })
			decisions := make(chan string, 10)
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					_, a := post(t, h.Alertmanager(), bearer(alertToken), []byte(referenceAlertmanager))
					decisions <- a.Decision
				})
			}
			wg.Wait()
			close(decisions)
			count := map[string]int{}
			for d := range decisions {
				count[d]++
			}
			acted := "proposed"
			wantProposed, wantPaused := 1, 0
			if auto {
				acted = "paused"
				wantProposed, wantPaused = 0, 1
			}
			if count[acted] != 1 || count["ignored"] != 9 {
				t.Errorf("decisions: got %v; want 1 %s and 9 ignored", count, acted)
			}
			checkCalls(t, act, wantProposed, wantPaused, 0)

			clk.Advance(61 * time.Minute)
			if _, a := post(t, h.Alertmanager(), bearer(alertToken), []byte(referenceAlertmanager)); a.Decision != acted {
				t.Errorf("after the TTL: got %q; want %q", a.Decision, acted)
			}
		})
	}
}

// TestFailedActionsAllowRetry: when nothing reached Slack the sender gets a 5xx, which it retries,
// and the retry is not swallowed as a duplicate.
func TestFailedActionsAllowRetry(t *testing.T) {
	tests := []struct {
		name string
		edit func(*alerts.Config)
		body []byte
		fail func(act *fakeActions, err error)
	}{
		{
			name: "propose", body: []byte(referenceAlertmanager),
			fail: func(a *fakeActions, err error) {
				a.ProposePauseFunc = func(context.Context, bot.Proposal) error { return err }
			},
		},
		{
			name: "pause now", edit: func(c *alerts.Config) { c.Auto = true }, body: []byte(referenceAlertmanager),
			fail: func(a *fakeActions, err error) {
				a.PauseNowFunc = func(context.Context, bot.Proposal) error { return err }
			},
		},
		{
			name: "notify refusal", body: webhookBody(t, 1, nil, amAlert{status: "firing", id: idA, fingerprint: "f1"}),
			fail: func(a *fakeActions, err error) {
				a.NotifyFunc = func(context.Context, string, string) error { return err }
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, act, _ := setup(t, tt.edit)
			tt.fail(act, errors.New("slack: ok=false"))
			if status, _ := post(t, h.Alertmanager(), bearer(alertToken), tt.body); status != http.StatusServiceUnavailable {
				t.Fatalf("failing actions: got %d; want 503", status)
			}
			tt.fail(act, nil)
			status, a := post(t, h.Alertmanager(), bearer(alertToken), tt.body)
			if status != 200 || a.Decision == "ignored" {
				t.Errorf("retry: got %d %q (%s); want 200 and a decision that acts", status, a.Decision, a.Reason)
			}
		})
	}
}

func TestActionsGetABoundedContext(t *testing.T) {
	h, act, _ := setup(t, nil)
	var deadline time.Time
	var ok bool
	act.ProposePauseFunc = func(ctx context.Context, _ bot.Proposal) error {
		deadline, ok = ctx.Deadline()
		return nil
	}
	start := time.Now()
	post(t, h.Alertmanager(), bearer(alertToken), []byte(referenceAlertmanager))
	if !ok {
		t.Fatal("ProposePause got a context without a deadline")
	}
	if d := deadline.Sub(start); d > 4*time.Second {
		t.Errorf("deadline: got %s after the request; want at most 4s", d)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h, _, _ := setup(t, nil)
	for name, handler := range map[string]http.Handler{"alertmanager": h.Alertmanager(), "grafana": h.Grafana(), "smn": h.SMN()} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/alerts/"+name, nil))
			if rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("GET: got %d; want 405", rec.Code)
			}
		})
	}
}

func TestNew(t *testing.T) {
	valid := func() alerts.Config {
		return alerts.Config{AlertBearer: bearerCheck("t"), Channel: channel, AllowedIDs: allowAll, Ledger: ledger.NewMemory()}
	}
	tests := []struct {
		name    string
		edit    func(*alerts.Config)
		act     alerts.Actions
		wantErr bool
	}{
		{name: "valid", act: &fakeActions{}},
		{name: "every route disabled needs no channel", edit: func(c *alerts.Config) { *c = alerts.Config{} }, act: &fakeActions{}},
		{name: "nil actions", wantErr: true},
		{name: "no channel", edit: func(c *alerts.Config) { c.Channel = "" }, act: &fakeActions{}, wantErr: true},
		{name: "negative max ids", edit: func(c *alerts.Config) { c.MaxIDs = -1 }, act: &fakeActions{}, wantErr: true},
		{name: "negative window", edit: func(c *alerts.Config) { c.Window = -time.Minute }, act: &fakeActions{}, wantErr: true},
		{name: "no ledger", edit: func(c *alerts.Config) { c.Ledger = nil }, act: &fakeActions{}, wantErr: true},
		{
			name: "invalid smn map id", edit: func(c *alerts.Config) { c.SMNMap = map[string]string{"rule": "nope"} },
			act: &fakeActions{}, wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			_, err := alerts.New(cfg, tt.act)
			if (err != nil) != tt.wantErr {
				t.Errorf("New: got error %v; want error %t", err, tt.wantErr)
			}
		})
	}
}

func TestParseSMNMap(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{in: "", want: map[string]string{}},
		{in: "alarm-c5jj=" + idA, want: map[string]string{"alarm-c5jj": idA}},
		{in: " alarm-c5jj = " + idA + " , 3dc7b9ea-70b4-4c38-942d-e2636e6d844c=" + idB + ",",
			want: map[string]string{"alarm-c5jj": idA, "3dc7b9ea-70b4-4c38-942d-e2636e6d844c": idB}},
		{in: "alarm-c5jj", wantErr: true},
		{in: "=" + idA, wantErr: true},
		{in: "alarm-c5jj=not-a-uuid", wantErr: true},
		{in: "alarm-c5jj=" + strings.ToUpper(idA), wantErr: true},
		{in: "a=" + idA + ",a=" + idB, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := alerts.ParseSMNMap(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSMNMap(%q): got error %v; want error %t", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && !maps.Equal(got, tt.want) {
				t.Errorf("ParseSMNMap(%q): got %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestAuditLog(t *testing.T) {
	var buf logtest.Buffer
	h, _, _ := setup(t, func(c *alerts.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	})
	post(t, h.Alertmanager(), bearer("wrong-"+alertToken), []byte(referenceAlertmanager))
	post(t, h.Alertmanager(), bearer(alertToken), webhookBody(t, 0, nil,
		amAlert{status: "firing", id: idA, fingerprint: "f1"}, amAlert{status: "firing", id: idOutside, fingerprint: "f2"}))
	post(t, h.Grafana(), grafanaHeader(grafanaSecret, unix(testNow), []byte(referenceGrafana)), []byte(referenceGrafana))

	var lines []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("log lines: got %d; want 3:\n%s", len(lines), buf.String())
	}
	want := []map[string]any{
		{"msg": "alert rejected", "source": "alertmanager", "status": float64(401)},
		{"msg": "alert decision", "source": "alertmanager", "decision": "proposed",
			"disaster_recovery_ids": []any{idA}, "dropped": []any{idOutside}},
		{"msg": "alert decision", "source": "grafana", "decision": "proposed", "disaster_recovery_ids": []any{idA}},
	}
	for i, w := range want {
		for k, v := range w {
			got, _ := json.Marshal(lines[i][k])
			wantJSON, _ := json.Marshal(v)
			if !bytes.Equal(got, wantJSON) {
				t.Errorf("line %d %s: got %s; want %s", i, k, got, wantJSON)
			}
		}
	}
	for _, secret := range []string{alertToken, grafanaSecret, "Primary DWS cluster unhealthy"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log carries %q:\n%s", secret, buf.String())
		}
	}
}

// TestRefusalReportedOnceAndLifted: a refused storm re-sent by the sender is reported once; when
// the storm subsides, the alert still firing acts.
func TestRefusalReportedOnceAndLifted(t *testing.T) {
	h, act, _ := setup(t, nil)
	storm := webhookBody(t, 0, nil,
		amAlert{status: "firing", id: idA, fingerprint: "f1"},
		amAlert{status: "firing", id: idB, fingerprint: "f2"},
		amAlert{status: "firing", id: idC, fingerprint: "f3"},
	)
	for i := range 3 {
		if status, a := post(t, h.Alertmanager(), bearer(alertToken), storm); status != 200 || a.Decision != "refused" {
			t.Fatalf("storm %d: got %d %q; want 200 refused", i, status, a.Decision)
		}
	}
	checkCalls(t, act, 0, 0, 1)
	calmer := webhookBody(t, 0, nil,
		amAlert{status: "firing", id: idA, fingerprint: "f1"},
		amAlert{status: "resolved", id: idB, fingerprint: "f2"},
		amAlert{status: "resolved", id: idC, fingerprint: "f3"},
	)
	if _, a := post(t, h.Alertmanager(), bearer(alertToken), calmer); a.Decision != "proposed" || !slices.Equal(a.IDs, []string{idA}) {
		t.Errorf("after the storm: got %q %q; want proposed [%s]", a.Decision, a.IDs, idA)
	}
	checkCalls(t, act, 1, 0, 1)
}
