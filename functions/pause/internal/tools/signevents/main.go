// Command signevents re-signs the recorded Slack and Grafana events in events/ with the current
// time, so `sam local invoke -e` and the tests get requests the five-minute windows of Slack and
// of the Grafana route accept. Events without either signature are left alone.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/grafanasign"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "signevents:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signevents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", slacktest.LocalSecret, "Slack signing secret to sign with")
	grafanaSecret := fs.String("grafana-secret", grafanasign.LocalSecret, "Grafana HMAC secret (DR_GRAFANA_SECRET) to sign with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	now := time.Now()
	for _, name := range fs.Args() {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		// A recorded click's buttons get values this deployment made, as a card posted now has.
		out, err := slacktest.ResignEvent(raw, *secret, now, slacktest.Resign{Button: func(id, requester string) string {
			return bot.ButtonValue(*secret, id, requester, now)
		}})
		if errors.Is(err, slacktest.ErrNotSlack) {
			out, err = grafanasign.ResignEvent(raw, *grafanaSecret, now)
		}
		if errors.Is(err, grafanasign.ErrNotGrafana) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(name, out, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "signed %s\n", name)
	}
	return nil
}
