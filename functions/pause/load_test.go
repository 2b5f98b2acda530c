package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drsim"
)

var loadFull = flag.Bool("load.full", false, "run TestLoad at full size: 2,000 requests from 50 clients, DR API answering in 200ms (make loadtest)")

// loadShape is the size of a load run.
type loadShape struct {
	requests, clients int
	latency           time.Duration // DR_SIMULATE_LATENCY
}

var (
	shortLoad = loadShape{requests: 200, clients: 10, latency: 20 * time.Millisecond}
	fullLoad  = loadShape{requests: 2000, clients: 50, latency: 200 * time.Millisecond}
)

// Once idle again, the process may hold more idle keep-alive connections than before the load
// (a bounded pool, counted apart), but its other goroutines must be back to within a few of
// before: not one per request. Its live heap may grow by the connection buffers and allocator
// noise, not by what the requests left behind.
const (
	maxGoroutineGrowth = 4
	maxHeapGrowth      = 8 << 20
)

// TestLoad runs the HTTP mode in this process (for runtime goroutine and heap counts) against
// signed slash commands and clicks from concurrent clients, with the built-in simulator slowed
// by DR_SIMULATE_LATENCY. Every answer must be 200 with the expected content, every request
// must get exactly one final result (in its answer or through its own response_url), and once
// idle the process must be back to its goroutine count and live heap of before the load.
// Latencies are printed, not asserted. The short shape runs in make test; -load.full is make
// loadtest.
func TestLoad(t *testing.T) {
	shape := shortLoad
	if *loadFull {
		shape = fullLoad
	}
	slack := newSlack(t)
	for k, v := range map[string]string{
		"DR_MODE": "http", "AWS_LAMBDA_RUNTIME_API": "", "DR_LISTEN_HOST": "127.0.0.1", "PORT": "0",
		"DR_SIMULATE": "true", "DR_SIMULATE_DELAY": "0", "DR_SIMULATE_LATENCY": shape.latency.String(),
		"SLACK_SIGNING_SECRET": slacktest.LocalSecret, "SLACK_BOT_TOKEN": "", "DR_ALLOWED_USERS": "U0REQUEST,U0APPROVE",
		"DR_INVOKE_TOKEN": "", "DR_ALERT_TOKEN": "", "DR_GRAFANA_SECRET": "", "DR_SMN_TOPICS": "",
		"DR_ALLOWED_CHANNELS": "*", "DR_ALLOWED_IDS": "*", "DR_CONFIRM": "true", "DR_FOUR_EYES": "false",
		"DR_WAIT": "10m", "DR_SHUTDOWN_GRACE": "10s", "LOG_LEVEL": "info",
		"DR_ALLOWED_TEAMS": "T0LOCAL01", "DR_LEDGER": "memory", "DR_LEDGER_TABLE": "",
	} {
		// Set even when empty: the developer's environment must not change the run.
		t.Setenv(k, v)
	}
	logs := newLogWatch()
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- run(ctx, []string{"pause"}, logs) }()
	defer func() {
		cancel()
		select {
		case err := <-runErr:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("run still serving 20s after its context ended")
		}
	}()
	var base string
	select {
	case addr := <-logs.addr:
		base = "http://" + addr
	case err := <-runErr:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10s")
	}

	transport := &http.Transport{MaxIdleConnsPerHost: shape.clients}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	lg := &loadGen{base: base, client: client, slack: slack}

	// A warm-up of every kind of request fills the connection pools and the lazily built state
	// that the "before" counts should already hold.
	lg.run(t, 6, 1)
	lg.waitFinals(t)
	goroutinesBefore, idleBefore := waitIdle(t, transport, -1, 0)
	heapBefore := liveHeap()

	start := time.Now()
	lats := lg.run(t, shape.requests, shape.clients)
	lg.waitFinals(t)
	elapsed := time.Since(start)
	goroutinesAfter, idleAfter := waitIdle(t, transport, goroutinesBefore, maxGoroutineGrowth)
	// Nothing is running any more, so no late duplicate can still arrive.
	results := lg.checkExactlyOnce(t)
	// What Slack keeps is the double's heap, not the product's.
	slack.Reset()
	heapAfter := liveHeap()
	// Two hosts keep idle connections: the DR API (the simulator) and Slack (the double).
	if maxIdle := 2 * 3 * maxIdleConnsPerHost; idleAfter > maxIdle {
		t.Errorf("goroutines on idle connections: got %d; want at most %d (3 per connection, %d connections per host, 2 hosts)",
			idleAfter, maxIdle, maxIdleConnsPerHost)
	}

	if lg.errors.Load() > 0 {
		t.Errorf("errors: got %d; want 0", lg.errors.Load())
	}
	if heapAfter > heapBefore+maxHeapGrowth {
		t.Errorf("live heap once idle: got %d bytes; want at most %d (%d before the load + %d)",
			heapAfter, heapBefore+maxHeapGrowth, heapBefore, maxHeapGrowth)
	}
	if n, first := logs.problems(); n > 0 {
		t.Errorf("log: got %d warnings or errors; want none. First: %s", n, first)
	}
	slices.Sort(lats)
	t.Logf("load: %d requests from %d clients, DR API latency %s: %d errors; ack latency p50 %s p99 %s max %s; "+
		"goroutines %d before, %d after (plus %d and %d on idle keep-alive connections); live heap %.1f MiB before, %.1f MiB after; %s until every result was delivered; results through Slack: %v",
		shape.requests, shape.clients, shape.latency, lg.errors.Load(),
		percentile(lats, 50), percentile(lats, 99), percentile(lats, 100),
		goroutinesBefore, goroutinesAfter, idleBefore, idleAfter, float64(heapBefore)/(1<<20), float64(heapAfter)/(1<<20),
		elapsed.Round(time.Millisecond), results)
}

// The DR ids the load uses: pauses go to ids that start pausable; after the first pause they
// answer "already stopped", which is a result too.
var (
	statusIDs = []string{drsim.SeedRunning, drsim.SeedStopped, drsim.SeedStopFailed, drsim.SeedUnstart}
	pauseIDs  = []string{drsim.SeedRunning, drsim.SeedStopFailed}
	clickIDs  = []string{drsim.SeedRunning, drsim.SeedStopFailed, drsim.SeedStopped}
)

// Final results a click may end in: the pause, or why none was needed.
var clickResults = []string{
	"is paused: status *stopped*",
	"was already stopped: no pause sent",
	"was already being paused",
	"is already being paused by",
}

// loadGen sends the load and keeps what each request expects.
type loadGen struct {
	base   string
	client *http.Client
	slack  *slacktest.Server
	errors atomic.Int64

	mu      sync.Mutex
	expects map[string]expectation // by response_url name
	next    int
}

// expectation is one request's outstanding result.
type expectation struct {
	what       string // for messages
	bodyFinal  bool   // the HTTP answer was the final result
	wantResult []string
}

// run sends n requests from the given number of concurrent clients and returns their latencies.
func (lg *loadGen) run(t *testing.T, n, clients int) []time.Duration {
	t.Helper()
	lg.mu.Lock()
	if lg.expects == nil {
		lg.expects = make(map[string]expectation)
	}
	first := lg.next
	lg.next += n
	lg.mu.Unlock()
	work := make(chan int)
	lats := make([]time.Duration, n)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range work {
				lats[i-first] = lg.one(t, i)
			}
		})
	}
	for i := first; i < first+n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return lats
}

// one sends request i: a status, a pause or a click, in turn, each with its own response_url.
func (lg *loadGen) one(t *testing.T, i int) time.Duration {
	name := fmt.Sprintf("r%d", i)
	responseURL := lg.slack.ResponseURL(name)
	var (
		route, what string
		body        []byte
		wantBody    []string // any of them
		want        []string // any of them, in the final result
	)
	switch i % 3 {
	case 0:
		id := statusIDs[(i/3)%len(statusIDs)]
		route, what = "/slack/commands", "/dr status "+id
		body = slashBody("status "+id, responseURL)
		want = []string{"DR `" + id + "` ("}
	case 1:
		id := pauseIDs[(i/3)%len(pauseIDs)]
		route, what = "/slack/commands", "/dr pause "+id
		body = slashBody("pause "+id, responseURL)
		want = []string{`"action_id":"dr_pause"`, "is already *stopped*", "is already being paused"}
	default:
		id := clickIDs[(i/3)%len(clickIDs)]
		route, what = "/slack/interactions", "click on Pause "+id
		responseURL = lg.slack.ActionURL(name)
		body = clickBody(bot.ButtonValue(slacktest.LocalSecret, id, "U0REQUEST", time.Now()), responseURL)
		want = clickResults
	}
	if route == "/slack/commands" {
		wantBody = append(slices.Clone(want), "Working on it")
	}
	start := time.Now()
	status, answer, err := lg.post(route, body)
	lat := time.Since(start)
	switch {
	case err != nil:
		lg.fail(t, "%s: %v", what, err)
		return lat
	case status != http.StatusOK:
		lg.fail(t, "%s: got %d %s; want 200", what, status, answer)
		return lat
	case wantBody != nil && !containsAny(string(answer), wantBody):
		lg.fail(t, "%s: got %s; want one of %q", what, answer, wantBody)
		return lat
	}
	lg.mu.Lock()
	defer lg.mu.Unlock()
	lg.expects[name] = expectation{
		what:       what,
		bodyFinal:  wantBody != nil && !strings.Contains(string(answer), "Working on it"),
		wantResult: want,
	}
	return lat
}

func (lg *loadGen) post(route string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, lg.base+route, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = slackHeaders(body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := lg.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// fail counts an error and reports the first few.
func (lg *loadGen) fail(t *testing.T, format string, args ...any) {
	if lg.errors.Add(1) <= 5 {
		t.Errorf(format, args...)
	}
}

// waitFinals waits until every request whose result comes through its response_url has one.
func (lg *loadGen) waitFinals(t *testing.T) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		changed := lg.slack.Changed()
		missing := lg.missing()
		if len(missing) == 0 {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no final result after 30s for %d requests, e.g. %s", len(missing), missing[0])
		}
	}
}

func (lg *loadGen) missing() []string {
	finals := finalResults(lg.slack)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	var out []string
	for name, e := range lg.expects {
		if !e.bodyFinal && len(finals[name]) == 0 {
			out = append(out, e.what+" ("+name+")")
		}
	}
	return out
}

// finalResults returns the texts of the final results Slack took, by response_url name: the
// click's acknowledgement and progress updates, which precede the result, are left out.
func finalResults(s *slacktest.Server) map[string][]string {
	out := make(map[string][]string)
	for _, p := range s.Posts() {
		if _, ok := out[p.Name]; !ok {
			out[p.Name] = nil // the name received something
		}
		if p.OK() && !strings.HasPrefix(p.Text, ":hourglass_flowing_sand: Pausing DR") {
			out[p.Name] = append(out[p.Name], p.Text)
		}
	}
	return out
}

// checkExactlyOnce fails unless each request got exactly one final result, as expected, and
// Slack got nothing for a response_url nobody gave it. It returns how many results delivered
// through Slack said what (by the expected phrase they hold).
func (lg *loadGen) checkExactlyOnce(t *testing.T) map[string]int {
	t.Helper()
	all := finalResults(lg.slack)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	results := make(map[string]int)
	bad := 0
	for name, e := range lg.expects {
		finals := all[name]
		n := len(finals)
		if e.bodyFinal {
			n++
		}
		switch {
		case n != 1:
			bad++
			if bad <= 5 {
				t.Errorf("%s: got %d final results (%q in Slack); want exactly 1", e.what, n, finals)
			}
		case len(finals) == 1 && !containsAny(finals[0], e.wantResult):
			bad++
			if bad <= 5 {
				t.Errorf("%s: got final result %q; want one of %q", e.what, finals[0], e.wantResult)
			}
		case len(finals) == 1:
			for _, w := range e.wantResult {
				if strings.Contains(finals[0], w) {
					results[w]++
					break
				}
			}
		}
	}
	for name := range all {
		if _, ok := lg.expects[name]; !ok {
			t.Errorf("Slack got messages for %s, which no request gave", name)
		}
	}
	return results
}

// goroutines counts the goroutines of this process in two kinds: those that serve or wait on
// an idle keep-alive connection (an HTTP client's reader and writer, a server's wait for the next
// request) and all others. Idle connections are pool state bounded by MaxIdleConnsPerHost; the
// others are what a leak would add. A connection whose answer was never read is not idle: its
// reader waits for the body, not for the next answer.
func goroutines() (other, idleConn int, stacks string) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		switch {
		case strings.Contains(g, "net/http.(*persistConn).readLoop") && strings.Contains(g, "bufio.(*Reader).Peek"),
			strings.Contains(g, "net/http.(*persistConn).writeLoop"),
			strings.Contains(g, "net/http.(*conn).serve") && strings.Contains(g, "bufio.(*Reader).Peek"):
			idleConn++
		default:
			other++
		}
	}
	return other, idleConn, string(buf)
}

// waitIdle closes the load clients' idle connections and polls until the process holds at most
// want+margin goroutines other than idle connections, then returns both counts. With want < 0
// it only waits for the count to settle.
func waitIdle(t *testing.T, transport *http.Transport, want, margin int) (other, idleConn int) {
	t.Helper()
	transport.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	prev, stable := -1, 0
	for {
		other, idleConn, stacks := goroutines()
		if want >= 0 && other <= want+margin {
			return other, idleConn
		}
		if stable++; other != prev {
			prev, stable = other, 0
		}
		if want < 0 && stable >= 5 {
			return other, idleConn
		}
		if time.Now().After(deadline) {
			if want < 0 {
				return other, idleConn
			}
			t.Fatalf("goroutines once idle, other than idle connections: got %d; want at most %d (%d before the load + %d). Stacks:\n%s",
				other, want+margin, want, margin, stacks)
		}
		time.Sleep(50 * time.Millisecond) // a poll with a deadline: goroutine exits signal nothing
	}
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100].Round(100 * time.Microsecond)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// logWatch reads the JSON log of run as it is written: it finds the listening address and
// counts warnings and errors, keeping nothing else.
type logWatch struct {
	addr  chan string
	mu    sync.Mutex
	n     int
	first string
}

func newLogWatch() *logWatch { return &logWatch{addr: make(chan string, 1)} }

// Write takes one record: slog's JSON handler writes each in a single call.
func (l *logWatch) Write(p []byte) (int, error) {
	var rec struct{ Level, Msg, Addr, Outcome string }
	if json.Unmarshal(p, &rec) == nil {
		switch {
		case rec.Msg == "listening":
			select {
			case l.addr <- rec.Addr:
			default:
			}
		case rec.Msg == "slack decision" && rec.Outcome == "in_flight":
			// Concurrent clicks on one DR: refusing all but the first is the point.
		case rec.Level == "WARN" || rec.Level == "ERROR":
			l.mu.Lock()
			if l.n++; l.first == "" {
				l.first = string(p)
			}
			l.mu.Unlock()
		}
	}
	return len(p), nil
}

func (l *logWatch) problems() (int, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, l.first
}
