package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/functions/pause/internal/server"
	"github.com/dws-dr/drpause/functions/pause/internal/version"
)

func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(name)) })
}

func TestRoutes(t *testing.T) {
	var logs bytes.Buffer
	h := server.NewServer(server.Deps{
		Logger:       slog.New(slog.NewJSONHandler(&logs, nil)),
		Commands:     named("commands"),
		Interactions: named("interactions"),
		Alertmanager: named("alertmanager"),
		Grafana:      named("grafana"),
		Invoke: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("handler bug")
		}),
		// SMN left nil: its route must not exist.
	})
	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string
	}{
		{"POST", "/slack/commands", 200, "commands"},
		{"POST", "/slack/interactions", 200, "interactions"},
		{"POST", "/alerts/alertmanager", 200, "alertmanager"},
		{"POST", "/alerts/grafana", 200, "grafana"},
		{"POST", "/alerts/smn", 404, ""},
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/", 200, "ok"},
		{"GET", "/slack/commands", 405, ""},
		{"POST", "/healthz", 405, ""},
		{"GET", "/nope", 404, ""},
		{"POST", "/invoke", 500, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("got %d %q; want %d with %q", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	if !strings.Contains(logs.String(), `"msg":"handler panic"`) {
		t.Errorf("logs: got %s; want the panic logged", logs.String())
	}
}

// TestHealthz: GET /healthz, and GET / for the Lambda Web Adapter, answer the interface's
// {"status":"ok","version":"..."} as JSON, whatever else is configured.
func TestHealthz(t *testing.T) {
	h := server.NewServer(server.Deps{Logger: slog.New(slog.DiscardHandler)})
	for _, path := range []string{"/healthz", "/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if ct := rec.Header().Get("Content-Type"); rec.Code != 200 || ct != "application/json" {
			t.Errorf("GET %s: got %d %q; want 200 application/json", path, rec.Code, ct)
		}
		var got map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("GET %s: body %q: %v", path, rec.Body, err)
		}
		if want := map[string]string{"status": "ok", "version": version.String()}; !maps.Equal(got, want) {
			t.Errorf("GET %s: got %v; want %v", path, got, want)
		}
	}
}
