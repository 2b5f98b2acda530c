//go:build unix

package lambdaentry_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/lambdaentry"
	"github.com/dws-dr/drpause/pkg/drapi"
)

// BenchmarkHandle measures what the Lambda entry adds to a request: decoding the event into an
// http.Request and the answer into the event's response. The "decode" cases serve the recorded
// events of events/ with a handler that only reads the body; "command" serves the recorded
// slash command, re-signed now, through the real bot with a DR that answers at once, so the two
// side by side show the entry's share of a warm slash command. cpu-ns/op is the CPU time of the
// process per event, GC included, steadier than ns/op on a shared machine.
//
//	go test -run='^$' -bench=. -benchmem -count=5 ./functions/pause/internal/lambdaentry
func BenchmarkHandle(b *testing.B) {
	readBody := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
		}
	})
	slashCommand := benchEvent(b, "slash-command.json")
	resigned, err := slacktest.ResignEvent(slashCommand, slacktest.LocalSecret, time.Now(), slacktest.Resign{})
	if err != nil {
		b.Fatalf("re-sign the slash command: %v", err)
	}
	tests := []struct {
		name  string
		event []byte
		http  http.Handler
		want  string // in the answer's body
	}{
		{"function_url_decode", slashCommand, readBody, ""},
		{"rest_v1_decode", benchEvent(b, "rest-v1-invoke.json"), readBody, ""},
		{"function_url_command", resigned, benchBot(b).Commands(), "asks to pause DR"},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			h := &lambdaentry.Handler{HTTP: tt.http, Logger: slog.New(slog.DiscardHandler)}
			ctx := context.Background()
			out, err := h.Handle(ctx, tt.event)
			if code, body := answerOf(out); err != nil || code != http.StatusOK || !strings.Contains(body, tt.want) {
				b.Fatalf("got %d %q, error %v; want 200 holding %q", code, body, err, tt.want)
			}
			b.ReportAllocs()
			n, cpu := 0, processCPU(b)
			for b.Loop() {
				out, err := h.Handle(ctx, tt.event)
				if err != nil {
					b.Fatalf("Handle: %v", err)
				}
				if code, _ := answerOf(out); code != http.StatusOK {
					b.Fatalf("got status %d; want 200", code)
				}
				n++
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(n), "cpu-ns/op")
		})
	}
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchEvent reads a recorded event of the repository's events/ directory.
func benchEvent(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "events", name))
	if err != nil {
		b.Fatalf("recorded event: %v", err)
	}
	return data
}

// answerOf returns the status and body of an HTTP event's answer.
func answerOf(out any) (int, string) {
	switch r := out.(type) {
	case events.LambdaFunctionURLResponse:
		return r.StatusCode, r.Body
	case events.APIGatewayProxyResponse:
		return r.StatusCode, r.Body
	}
	return 0, ""
}

// benchBot is a bot allowing the recorded event's user and channel, with the JSON audit log of
// production written to io.Discard.
func benchBot(b *testing.B) *bot.Bot {
	b.Helper()
	bt, err := bot.New(bot.Config{
		SigningSecret:   slacktest.LocalSecret,
		AllowedUsers:    func(id string) bool { return id == "U0REQUEST" },
		AllowedChannels: func(string) bool { return true },
		AllowedIDs:      func(string) bool { return true },
		AllowedTeams:    func(string) bool { return true },
		Confirm:         true,
		Logger:          slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, runningDR{})
	if err != nil {
		b.Fatalf("bot.New: %v", err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := bt.Shutdown(ctx); err != nil {
			b.Errorf("Shutdown: %v", err)
		}
	})
	return bt
}

// runningDR answers at once that every DR is running; a card needs nothing else.
type runningDR struct{}

var _ bot.DR = runningDR{}

func (runningDR) Get(_ context.Context, id string) (*drapi.Detail, error) {
	return &drapi.Detail{ID: id, Name: "dr-orders", Status: drapi.StatusRunning}, nil
}

func (runningDR) List(context.Context, drapi.ListFilter) ([]drapi.Summary, error) {
	return nil, errors.New("runningDR: List is not part of the benchmark")
}

func (runningDR) PauseAndFollow(_ context.Context, id string, _ drapi.FollowOptions) (drapi.Outcome, error) {
	return drapi.Outcome{ID: id}, errors.New("runningDR: PauseAndFollow is not part of the benchmark")
}

func (runningDR) StartAndFollow(_ context.Context, id string, _ drapi.FollowOptions) (drapi.Outcome, error) {
	return drapi.Outcome{ID: id}, errors.New("runningDR: StartAndFollow is not part of the benchmark")
}
