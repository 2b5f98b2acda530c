// Package server is the product as one http.Handler: every route of the interface file, served
// the same in HTTP mode and behind Lambda.
package server

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/dws-dr/drpause/functions/pause/internal/version"
)

// Deps are the handlers and the logger the routes use. A nil handler leaves its route
// answering 404, so a part that is not configured cannot be reached half-built. Each handler
// authenticates its own requests, since it must read the body (signatures) or answer in its
// own shape (a disabled route's 403); NewServer names which check each one makes.
type Deps struct {
	Logger       *slog.Logger
	Commands     http.Handler // POST /slack/commands
	Interactions http.Handler // POST /slack/interactions
	Alertmanager http.Handler // POST /alerts/alertmanager
	Grafana      http.Handler // POST /alerts/grafana
	SMN          http.Handler // POST /alerts/smn
	Invoke       http.Handler // POST /invoke
	// FunctionGraph says what to make of FunctionGraph's request headers; the zero value
	// only removes its credential headers.
	FunctionGraph FunctionGraph
}

// NewServer returns the handler serving every route.
func NewServer(d Deps) http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		if h != nil {
			mux.Handle(pattern, h)
		}
	}
	// Without usable DR API credentials for a request (FunctionGraph, see PlatformOf) alerts
	// answer 503, nothing done, so the sender retries; /invoke 400; the bot answers in Slack.
	alert := func(h http.Handler) http.Handler {
		return refuseWithoutCredentials(d.Logger, http.StatusServiceUnavailable, h)
	}
	invoke := refuseWithoutCredentials(d.Logger, http.StatusBadRequest, d.Invoke)
	handle("POST /slack/commands", d.Commands)                 // Slack v0 signature (SLACK_SIGNING_SECRET)
	handle("POST /slack/interactions", d.Interactions)         // Slack v0 signature, then the button's MAC
	handle("POST /alerts/alertmanager", alert(d.Alertmanager)) // Bearer DR_ALERT_TOKEN
	handle("POST /alerts/grafana", alert(d.Grafana))           // HMAC over timestamp:body (DR_GRAFANA_SECRET)
	handle("POST /alerts/smn", alert(d.SMN))                   // SMN message signature, topic in DR_SMN_TOPICS
	handle("POST /invoke", invoke)                             // Bearer DR_INVOKE_TOKEN
	mux.Handle("GET /healthz", healthz())                      // none: says "ok" and the version
	// Lambda Web Adapter probes GET / for readiness.
	mux.Handle("GET /{$}", healthz()) // none
	return logPanics(d.Logger, d.FunctionGraph.readHeaders(mux))
}

// healthz answers {"status":"ok","version":"..."}: platforms need only the 200, and the
// version tells whoever deployed which build is serving.
func healthz() http.Handler {
	body, _ := json.Marshal(struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}{"ok", version.String()})
	body = append(body, '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	})
}

// logPanics answers 500 and logs instead of letting a handler bug end a Lambda invocation
// (or a connection) without an answer.
func logPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.LogAttrs(r.Context(), slog.LevelError, "handler panic",
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("panic", v))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
