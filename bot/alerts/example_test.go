package alerts_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// printActions stands in for the Slack side (*bot.Bot in the product).
type printActions struct{}

func (printActions) ProposePause(_ context.Context, p bot.Proposal) error {
	fmt.Printf("card in %s for %v (%s)\n", p.Channel, p.IDs, p.Title)
	return nil
}

func (printActions) PauseNow(_ context.Context, p bot.Proposal) error {
	fmt.Printf("pausing %v\n", p.IDs)
	return nil
}

func (printActions) Notify(_ context.Context, channel, text string) error {
	fmt.Printf("to %s: %s\n", channel, text)
	return nil
}

func Example() {
	h, err := alerts.New(alerts.Config{
		// The checks are the caller's to build from its configuration; nil ones refuse.
		AlertBearer: func(authorization string) bool { return authorization == "Bearer local-alert-token" },
		Channel:     "C0ALERTS",
		AllowedIDs:  func(string) bool { return true },
		// Dedup and the storm budget live here; every instance must share one (DynamoDB).
		Ledger: ledger.NewMemory(),
	}, printActions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("POST /alerts/alertmanager", h.Alertmanager())
	mux.Handle("POST /alerts/grafana", h.Grafana())
	mux.Handle("POST /alerts/smn", h.SMN())

	body := `{"version":"4","status":"firing","alerts":[{"status":"firing","fingerprint":"5f3a9c2e8b7d4a10",
	  "startsAt":"2026-11-20T08:14:03.512Z",
	  "labels":{"alertname":"DWSPrimaryUnhealthy","disaster_recovery_id":"c1d2e3f4-0000-4b5c-9d8e-123456789abc"}}]}`
	req := httptest.NewRequest(http.MethodPost, "/alerts/alertmanager", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer local-alert-token")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body)

	// Output:
	// card in C0ALERTS for [c1d2e3f4-0000-4b5c-9d8e-123456789abc] (DWSPrimaryUnhealthy)
	// 200 {"decision":"proposed","ids":["c1d2e3f4-0000-4b5c-9d8e-123456789abc"]}
}
