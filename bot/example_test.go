package bot_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/pkg/drapi"
)

// A Bot serves the two Slack routes; Shutdown lets the pauses it started report before exit.
func Example() {
	dr, err := drapi.New(drapi.Config{ProjectID: "89cd04f168b84af6be287f71730fdb4b", Region: "cn-north-4",
		Credentials: drapi.Credentials{AccessKey: "AK", SecretKey: "SK"}})
	if err != nil {
		log.Fatal(err)
	}
	b, err := bot.New(bot.Config{
		SigningSecret: "from SLACK_SIGNING_SECRET",
		// The allow-lists are the caller's to parse: a nil one allows nobody.
		AllowedUsers:    func(id string) bool { return id == "U0123ABCD" },
		AllowedChannels: func(string) bool { return true },
		AllowedIDs:      func(string) bool { return true },
		AllowedTeams:    func(string) bool { return true },
		Confirm:         true,
	}, dr)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", b.Commands())
	mux.Handle("POST /slack/interactions", b.Interactions())
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	_ = srv // srv.ListenAndServe() in a real program

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		log.Print(err)
	}
}
