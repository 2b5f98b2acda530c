package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/slacktest"
)

// newLoadClient returns the load generator's client: keep-alive connections enough for every
// worker, so the numbers measure the server and not connection set-up.
func newLoadClient(workers int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        2 * workers,
			MaxIdleConnsPerHost: 2 * workers,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// makeRequest builds one request of a load; each call gets a fresh signature.
type makeRequest func(ctx context.Context) (*http.Request, error)

// checkAnswer says whether an answer is the one the load expects.
type checkAnswer func(status int, body []byte) error

// Slack ids of the benchmark's requests; DR_ALLOWED_USERS=* lets them act.
const (
	benchTeam    = "T0BENCH01"
	benchChannel = "C0BENCH01"
	benchUser    = "U0BENCH01"
)

// slashCommand returns signed POST /slack/commands requests of `/dr <text>`.
func slashCommand(base, text, responseURL string) makeRequest {
	body := []byte(url.Values{
		"token":        {"deprecated-verification-token"},
		"team_id":      {benchTeam},
		"team_domain":  {"bench"},
		"channel_id":   {benchChannel},
		"channel_name": {"dr-ops"},
		"user_id":      {benchUser},
		"user_name":    {"bench"},
		"command":      {"/dr"},
		"text":         {text},
		"api_app_id":   {"A0BENCH01"},
		"response_url": {responseURL},
		"trigger_id":   {"1111111111.2222222222.bench"},
	}.Encode())
	return func(ctx context.Context) (*http.Request, error) {
		return signedPost(ctx, base+"/slack/commands", body)
	}
}

// click returns signed POST /slack/interactions requests clicking Pause on a card, each for a
// new random DR id: every click then takes the approving path (claim, acknowledge, defer)
// rather than finding the DR already in flight.
func click(base, responseURL string) makeRequest {
	return func(ctx context.Context) (*http.Request, error) {
		value := bot.ButtonValue(slacktest.LocalSecret, randomID(), "U0REQUEST", time.Now())
		payload, err := json.Marshal(map[string]any{
			"type":         "block_actions",
			"user":         map[string]string{"id": benchUser, "username": "bench", "name": "bench", "team_id": benchTeam},
			"api_app_id":   "A0BENCH01",
			"container":    map[string]any{"type": "message", "message_ts": "1795600801.000100", "channel_id": benchChannel},
			"trigger_id":   "3333333333.2222222222.bench",
			"team":         map[string]string{"id": benchTeam, "domain": "bench"},
			"channel":      map[string]string{"id": benchChannel, "name": "dr-ops"},
			"message":      map[string]any{"type": "message", "ts": "1795600801.000100", "text": "Pause DR?", "blocks": []any{}},
			"response_url": responseURL,
			"actions": []map[string]any{{
				"action_id": "dr_pause", "block_id": "dr_actions", "type": "button", "style": "danger",
				"text":  map[string]any{"type": "plain_text", "text": "Pause"},
				"value": value, "action_ts": "1795600805.123456",
			}},
		})
		if err != nil {
			return nil, err
		}
		return signedPost(ctx, base+"/slack/interactions", []byte(url.Values{"payload": {string(payload)}}.Encode()))
	}
}

func signedPost(ctx context.Context, target string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	slacktest.SignRequest(req, slacktest.LocalSecret, time.Now(), body)
	return req, nil
}

// randomID returns a random canonical lowercase UUID (version 4).
func randomID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ok200 accepts a 200 whose body contains each of want.
func ok200(want ...string) checkAnswer {
	return func(status int, body []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("got status %d (%.200s); want 200", status, body)
		}
		for _, w := range want {
			if !bytes.Contains(body, []byte(w)) {
				return fmt.Errorf("got body %.300s; want it to contain %s", body, w)
			}
		}
		return nil
	}
}

// do sends one request and checks its answer, reading the whole body so the connection is
// reused.
func do(ctx context.Context, hc *http.Client, mk makeRequest, check checkAnswer) error {
	req, err := mk(ctx)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	return check(resp.StatusCode, body)
}

// latencies sends n requests from workers concurrent clients and returns each one's time from
// send to the end of its answer. The first wrong answer ends the run.
func latencies(ctx context.Context, hc *http.Client, n, workers int, mk makeRequest, check checkAnswer) ([]time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next atomic.Int64
		mu   sync.Mutex
		out  = make([]time.Duration, 0, n)
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				t0 := time.Now()
				if err := do(ctx, hc, mk, check); err != nil {
					cancel(err)
					return
				}
				d := time.Since(t0)
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// loadResult is how many answers a load window counted, and how long the window was.
type loadResult struct {
	Requests int64
	Elapsed  time.Duration
}

// runLoad keeps workers concurrent clients sending for warm, then counts the answers of the
// next window; atStart and atEnd run at the window's edges (for CPU readings). The first wrong
// answer ends the load.
func runLoad(ctx context.Context, hc *http.Client, workers int, warm, window time.Duration, mk makeRequest, check checkAnswer, atStart, atEnd func()) (loadResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		counting atomic.Bool
		count    atomic.Int64
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := do(ctx, hc, mk, check); err != nil {
					if ctx.Err() == nil {
						cancel(err)
					}
					return
				}
				if counting.Load() {
					count.Add(1)
				}
			}
		})
	}
	var res loadResult
	select {
	case <-time.After(warm):
	case <-ctx.Done():
	}
	if ctx.Err() == nil {
		atStart()
		t0 := time.Now()
		base := count.Load()
		counting.Store(true)
		select {
		case <-time.After(window):
		case <-ctx.Done():
		}
		res = loadResult{Requests: count.Load() - base, Elapsed: time.Since(t0)}
		atEnd()
	}
	err := context.Cause(ctx)
	cancel(errDone)
	wg.Wait()
	if err != nil {
		return res, err
	}
	return res, nil
}

// errDone ends the workers once the window is counted.
var errDone = errors.New("load done")

// percentiles summarizes latencies: p50, p99 and max.
type percentiles struct {
	N             int
	P50, P99, Max time.Duration
}

func summarize(d []time.Duration) percentiles {
	if len(d) == 0 {
		return percentiles{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	// Nearest rank: the smallest value with at least p of the sample at or below it.
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return percentiles{N: len(s), P50: rank(0.50), P99: rank(0.99), Max: s[len(s)-1]}
}

func (p percentiles) String() string {
	return fmt.Sprintf("p50 %s · p99 %s · max %s", ms(p.P50), ms(p.P99), ms(p.Max))
}

// ms formats d in milliseconds, with precision that suits its size.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}
