//go:build unix

package bot

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/bot/internal/benchkit"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// The benchmarks of this file measure the request path of the Slack routes: what runs between
// the server handing a request over and the handler returning. The DR API and Slack are
// in-memory doubles that answer at once, so the numbers are CPU and allocations, not network.
// BenchmarkBareVerifyParse is the reference they are read against (issue 7): the least any
// handler does with a Slack request, verify the signature with slack-go and parse the form.
//
// Besides ns/op, each reports cpu-ns/op, the CPU time of the process per request, GC included:
// on a machine shared with other work the wall time swings with the load, the CPU time much
// less, and it is what issue 7 compares ("server CPU time per signed slash command").
//
//	go test -run='^$' -bench=. -benchmem -count=5 ./bot

// BenchmarkCommands serves signed slash commands through Commands(), with a DR that answers at
// once (status, card) and the JSON audit log written to io.Discard as in production.
func BenchmarkCommands(b *testing.B) {
	dr := &fakeDR{get: func(_ context.Context, id string) (*drapi.Detail, error) {
		d := goldenDetail()
		d.ID = id
		return d, nil
	}}
	tests := []struct {
		name string
		text string
		want string // in the answer
	}{
		{"help", "help", "/dr pause"},
		{"status", "status " + goldenID, "is *running*"},
		{"pause_card", "pause " + goldenID, "asks to pause DR"},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			bt := newBenchBot(b, dr, nil, nil)
			req := newReplay("/slack/commands", commandBody("U1", chanID, tt.text, "https://hooks.slack.test/commands/1"))
			serveOnce(b, bt.Commands(), req, tt.want)
			benchServe(b, bt.Commands(), req)
		})
	}
}

// BenchmarkInteractions serves signed clicks on a card through Interactions(). The ack goes to
// response_url through an in-memory transport. A pause click hands its job to a Deferrer that
// drops it. The ledger grants every claim and forgets it: with a real one every click after the
// first would be answered "this card was already used". What a ledger adds per click is
// BenchmarkClaim in pkg/ledger (Memory, and DynamoDB on dynalite).
func BenchmarkInteractions(b *testing.B) {
	card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now(), Detail: goldenDetail()}, testKey)
	tests := []struct {
		name     string
		actionID string
		wantJobs bool
	}{
		{"cancel", actionCancel, false},
		{"pause", actionPause, true},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			d := &dropDeferrer{}
			slackAPI := &memorySlack{}
			bt := newBenchBot(b, &fakeDR{}, d, &http.Client{Transport: slackAPI})
			body := clickBody(b, "U2", chanID, card, actionsBlockID(goldenID), tt.actionID, "https://hooks.slack.test/actions/1")
			req := newReplay("/slack/interactions", body)
			serveOnce(b, bt.Interactions(), req, "")
			n := benchServe(b, bt.Interactions(), req) + 1
			// Every click acked exactly once, and every pause click deferred its job: none
			// was refused or skipped along the way.
			if got := slackAPI.posts.Load(); got != int64(n) {
				b.Errorf("got %d posts to response_url; want %d", got, n)
			}
			wantJobs := int64(0)
			if tt.wantJobs {
				wantJobs = int64(n)
			}
			if got := d.jobs.Load(); got != wantJobs {
				b.Errorf("got %d deferred jobs; want %d", got, wantJobs)
			}
		})
	}
}

// BenchmarkBareVerifyParse is the reference: a handler that reads the body under the same cap,
// verifies the Slack signature with slack-go and parses the form, and does nothing else.
func BenchmarkBareVerifyParse(b *testing.B) {
	card := cardMessage(card{ID: goldenID, Requester: "U1", RequestedAt: time.Now(), Detail: goldenDetail()}, testKey)
	tests := []struct {
		name string
		path string
		body string
	}{
		{"command", "/slack/commands", commandBody("U1", chanID, "status "+goldenID, "https://hooks.slack.test/commands/1")},
		{"click", "/slack/interactions", clickBody(b, "U2", chanID, card, actionsBlockID(goldenID), actionCancel, "https://hooks.slack.test/actions/1")},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			h := bareVerifyParse(testSecret)
			req := newReplay(tt.path, tt.body)
			serveOnce(b, h, req, "")
			benchServe(b, h, req)
		})
	}
}

// bareVerifyParse is the bare handler of issue 7's "done when".
func bareVerifyParse(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		v, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		_, _ = v.Write(body) // an HMAC never fails to write
		if err := v.Ensure(); err != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		if _, err := url.ParseQuery(string(body)); err != nil {
			http.Error(w, "malformed form", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// newBenchBot builds a Bot allowing U1 and U2 everywhere, with confirmation on and the audit
// log encoded as JSON, as main configures it, into io.Discard.
func newBenchBot(b *testing.B, dr DR, d Deferrer, hc *http.Client) *Bot {
	b.Helper()
	bt, err := New(Config{
		SigningSecret:   testSecret,
		AllowedUsers:    allowOnly("U1", "U2"),
		AllowedChannels: allowAll,
		AllowedIDs:      allowAll,
		AllowedTeams:    allowAll,
		Confirm:         true,
		HTTPClient:      hc,
		Ledger:          grantLedger{},
		Deferrer:        d,
		Logger:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, dr)
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := bt.Shutdown(ctx); err != nil {
			b.Errorf("Shutdown: %v", err)
		}
	})
	return bt
}

// replay serves the same signed request again and again, as if Slack sent the same bytes
// several times within the 5 minutes its signature is valid: only the body is rewound.
type replay struct {
	r    *http.Request
	data []byte
	body benchkit.Body
}

func newReplay(path, body string) *replay {
	return &replay{r: signedRequest(path, body), data: []byte(body)}
}

func (p *replay) next() *http.Request {
	p.body.Reset(p.data)
	p.r.Body = &p.body
	return p.r
}

// serveOnce serves req through a recorder and fails unless the answer is a 200 holding want.
func serveOnce(b *testing.B, h http.Handler, req *replay, want string) {
	b.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.next())
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
		b.Fatalf("got %d %q; want 200 holding %q", w.Code, w.Body, want)
	}
}

// benchServe serves req once per iteration and returns how many times.
func benchServe(b *testing.B, h http.Handler, req *replay) int {
	b.Helper()
	return benchkit.ServeLoop(b, func(w http.ResponseWriter) { h.ServeHTTP(w, req.next()) })
}

// memorySlack answers every response_url post with 200 without a network.
type memorySlack struct{ posts atomic.Int64 }

func (s *memorySlack) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
	s.posts.Add(1)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// dropDeferrer counts jobs and drops them.
type dropDeferrer struct {
	jobs atomic.Int64
}

func (d *dropDeferrer) Defer(_ context.Context, job Job) error {
	d.jobs.Add(1)
	return nil
}

// grantLedger grants every claim and mark and forgets it, so a benchmark can click the same
// card again and again and measure the approving path of the bot alone; the ledger's own cost
// is BenchmarkClaim in pkg/ledger.
type grantLedger struct{}

func (grantLedger) Claim(_ context.Context, key, holder string, until time.Time) (ledger.Result, error) {
	return ledger.Result{OK: true, Record: ledger.Record{Key: key, Holder: holder, State: ledger.Held, Until: until}}, nil
}

func (grantLedger) Mark(_ context.Context, key string, state ledger.State, by string, until time.Time) (ledger.Result, error) {
	return ledger.Result{OK: true, Record: ledger.Record{Key: key, Holder: by, State: state, Until: until}}, nil
}

func (grantLedger) Release(context.Context, string, string) error { return nil }
func (grantLedger) Put(_ context.Context, key, holder string, until time.Time) (ledger.Record, error) {
	return ledger.Record{Key: key, Holder: holder, Until: until}, nil
}

func (grantLedger) Get(context.Context, string) (ledger.Record, bool, error) {
	return ledger.Record{}, false, nil
}
