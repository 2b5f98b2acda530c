//go:build unix

package alerts_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/bot/alerts/smntest"
	"github.com/dws-dr/drpause/bot/internal/benchkit"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// The benchmarks of this file measure one alert through its route: authentication, decoding,
// the storm guards, dedup and the storm budget in a Memory ledger, and the proposal, with
// Actions answering at once. Every iteration must reach Actions, so the dedup never turns one
// into a cheap "duplicate": each benchmark cycles through distinct alerts, and the ledger
// forgets them whenever the cycle comes round again, as an hour passing would. Every alert
// names the same DR id, which the budget admits once and then costs nothing more. Each benchmark fails if a single iteration did not propose. Besides ns/op, each reports
// cpu-ns/op, the CPU time of the process per request, GC included, which moves far less than
// the wall time on a machine shared with other work.
//
//	go test -run='^$' -bench=. -benchmem -count=5 ./bot/alerts

// distinctAlerts is how many distinct alerts a benchmark cycles through.
const distinctAlerts = 8192

func BenchmarkAlertmanager(b *testing.B) {
	h, act, l := newBenchHandler(b, time.Now)
	reqs := make([]benchRequest, distinctAlerts)
	for i := range reqs {
		reqs[i] = benchRequest{
			header: http.Header{"Authorization": {"Bearer " + alertToken}},
			body:   withFingerprint(b, referenceAlertmanager, "5f3a9c2e8b7d4a10", i),
		}
	}
	benchAlerts(b, h.Alertmanager(), act, l, reqs)
}

func BenchmarkGrafana(b *testing.B) {
	h, act, l := newBenchHandler(b, time.Now)
	ts := strconv.FormatInt(time.Now().Unix(), 10) // within the 5-minute window for the run
	reqs := make([]benchRequest, distinctAlerts)
	for i := range reqs {
		body := withFingerprint(b, referenceGrafana, "9e8f7a6b5c4d3e2f", i)
		reqs[i] = benchRequest{header: grafanaHeader(grafanaSecret, ts, body), body: body}
	}
	benchAlerts(b, h.Grafana(), act, l, reqs)
}

// BenchmarkSMN measures signature verification and decoding of Cloud Eye alarms. Every request
// is a distinct notification, since message ids are signed and a repeat would be deduplicated,
// and within SMN's accepted window of the handler's fixed clock. They are signed with an ECDSA
// P-256 test certificate: making 8,192 RSA-2048 signatures would take seconds. The certificate
// is fetched once from the SMN double, by the request before the loop, and cached after.
func BenchmarkSMN(b *testing.B) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := alerts.SMNDouble(b).NewSigner(smnCertURL(b, "cn-north-4", "com"), key)
	if err != nil {
		b.Fatal(err)
	}
	h, act, l := newBenchHandler(b, func() time.Time { return testNow })
	alarm, err := json.Marshal(map[string]any{"version": "v1", "data": map[string]any{
		"IsAlarm": true, "AlarmRuleName": cesAlarmRule, "ResourceId": "3dc7b9ea-70b4-4c38-942d-e2636e6d844c",
		"ResourceName": "dws-primary", "MetricName": "dws001_shared_buffer_hit_ratio", "AlarmLevel": "紧急",
		"RegionId": "cn-north-4", "AlarmTime": "2026/11/20 16:14:15 GMT+08:00", "Namespace": "SYS.DWS",
	}})
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]benchRequest, distinctAlerts)
	for i := range reqs {
		m := &smntest.Message{
			Type:      "Notification",
			Subject:   "[华为云][紧急告警]云监控通知：dws-primary已触发告警。",
			TopicURN:  testTopic,
			MessageID: fmt.Sprintf("a51671f77ead4d2e8b0a5f1b%08x", i),
			Message:   string(alarm),
			Timestamp: "2026-11-20T08:14:17Z",
		}
		if err := signer.Sign(m); err != nil {
			b.Fatal(err)
		}
		body, err := json.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = benchRequest{header: http.Header{"X-Smn-Topic-Urn": {testTopic}}, body: body}
	}
	benchAlerts(b, h.SMN(), act, l, reqs)
}

// benchAlerts serves reqs in turn, one per iteration, after a first request outside the loop,
// and fails unless every request was answered 200 and proposed a pause. The ledger forgets
// the alerts each time the turn comes round to the request served first.
func benchAlerts(b *testing.B, h http.Handler, act *countingActions, l *benchLedger, reqs []benchRequest) {
	b.Helper()
	r := httptest.NewRequest(http.MethodPost, "/alerts", nil)
	var body benchkit.Body
	serve := func(w http.ResponseWriter, req benchRequest) {
		body.Reset(req.body)
		r.Body, r.Header = &body, req.header
		h.ServeHTTP(w, r)
	}

	rec := httptest.NewRecorder()
	serve(rec, reqs[len(reqs)-1])
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"decision":"proposed"`) {
		b.Fatalf("got %d %s; want 200 and a proposal", rec.Code, rec.Body)
	}
	i := 0
	n := 1 + benchkit.ServeLoop(b, func(w http.ResponseWriter) {
		i++
		if i%len(reqs) == len(reqs)-1 {
			l.forget()
		}
		serve(w, reqs[i%len(reqs)])
	})
	if got := act.proposed.Load(); got != int64(n) {
		b.Fatalf("got %d proposals for %d requests; want one each: the dedup skipped some", got, n)
	}
}

// newBenchHandler returns a Handler with every route enabled, its ledger on the same clock, and
// the JSON audit log of production written to io.Discard.
func newBenchHandler(b *testing.B, now func() time.Time, edit ...func(*alerts.Config)) (*alerts.Handler, *countingActions, *benchLedger) {
	b.Helper()
	l := &benchLedger{now: now}
	l.forget()
	cfg := alerts.Config{
		AlertBearer:   bearerCheck(alertToken),
		GrafanaSecret: grafanaSecret,
		SMNTopics:     []string{testTopic},
		SMNMap:        map[string]string{cesAlarmRule: idA},
		Channel:       channel,
		AllowedIDs:    allowOnly(idA, idB, idC),
		Logger:        slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Ledger:        l,
		Now:           now,
	}
	for _, e := range edit {
		e(&cfg)
	}
	act := &countingActions{}
	h, err := alerts.New(cfg, act)
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	return h, act, l
}

// benchLedger is a Memory ledger that forget replaces with an empty one.
type benchLedger struct {
	now func() time.Time
	m   atomic.Pointer[ledger.Memory]
}

var _ alerts.Ledger = (*benchLedger)(nil)

func (l *benchLedger) forget() {
	m := ledger.NewMemory()
	m.Now = l.now
	l.m.Store(m)
}

func (l *benchLedger) Claim(ctx context.Context, key, holder string, until time.Time) (ledger.Result, error) {
	return l.m.Load().Claim(ctx, key, holder, until)
}

func (l *benchLedger) Release(ctx context.Context, key, holder string) error {
	return l.m.Load().Release(ctx, key, holder)
}

func (l *benchLedger) Reserve(ctx context.Context, budget string, ids []string, max int, window time.Duration) (ledger.Budget, error) {
	return l.m.Load().Reserve(ctx, budget, ids, max, window)
}

// withFingerprint returns body with its fingerprint old replaced by one made of i.
func withFingerprint(b *testing.B, body, old string, i int) []byte {
	b.Helper()
	if !strings.Contains(body, old) {
		b.Fatalf("no fingerprint %q in the body", old)
	}
	return []byte(strings.Replace(body, old, fmt.Sprintf("%016x", i), 1))
}

type benchRequest struct {
	header http.Header
	body   []byte
}

// countingActions answers at once and counts proposals; it keeps nothing, so memory stays flat
// however many iterations run.
type countingActions struct{ proposed atomic.Int64 }

func (a *countingActions) ProposePause(context.Context, bot.Proposal) error {
	a.proposed.Add(1)
	return nil
}

func (a *countingActions) PauseNow(context.Context, bot.Proposal) error { return nil }
func (a *countingActions) Notify(context.Context, string, string) error { return nil }
