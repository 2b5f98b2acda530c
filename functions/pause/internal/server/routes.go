// Package server is the product as one http.Handler: every route of the interface file, served
// the same in HTTP mode and behind Lambda.
package server

import (
	"log/slog"
	"net/http"
)

// Deps are the handlers and the logger the routes use. A nil handler leaves its route
// answering 404, so a part that is not configured cannot be reached half-built.
type Deps struct {
	Logger       *slog.Logger
	Commands     http.Handler // POST /slack/commands
	Interactions http.Handler // POST /slack/interactions
	Alertmanager http.Handler // POST /alerts/alertmanager
	Grafana      http.Handler // POST /alerts/grafana
	SMN          http.Handler // POST /alerts/smn
	Invoke       http.Handler // POST /invoke
}

// NewServer returns the handler serving every route.
func NewServer(d Deps) http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		if h != nil {
			mux.Handle(pattern, h)
		}
	}
	handle("POST /slack/commands", d.Commands)
	handle("POST /slack/interactions", d.Interactions)
	handle("POST /alerts/alertmanager", d.Alertmanager)
	handle("POST /alerts/grafana", d.Grafana)
	handle("POST /alerts/smn", d.SMN)
	handle("POST /invoke", d.Invoke)
	mux.Handle("GET /healthz", healthz())
	// Lambda Web Adapter probes GET / for readiness.
	mux.Handle("GET /{$}", healthz())
	return logPanics(d.Logger, mux)
}

func healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
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
