// Command signevents writes the recorded events of events/ into another folder (bin/events with
// `make events`), the Slack and Grafana ones re-signed with the current time, so `sam local
// invoke -e` gets requests the five-minute windows of Slack and of the Grafana route accept while
// the tracked files stay as recorded. A recorded click's buttons get values this deployment made.
// Events without either signature are copied unchanged, so the folder holds every event.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	out := fs.String("out", "", "`folder` to write the events to (required: the events given are never rewritten)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required: the recorded events stay as they are")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	now := time.Now()
	for _, name := range fs.Args() {
		dest, err := signInto(name, *out, *secret, *grafanaSecret, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", dest)
	}
	return nil
}

// signInto writes the event in file into the folder out under the same base name, re-signed at
// t with secret when it carries a Slack signature (its buttons given values made with secret)
// or with grafanaSecret when it carries a Grafana one, and returns the path written. It refuses
// to write over file itself.
func signInto(file, out, secret, grafanaSecret string, t time.Time) (string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	signed, err := slacktest.ResignEvent(raw, secret, t, slacktest.Resign{Button: func(id, requester string) string {
		return bot.ButtonValue(secret, id, requester, t)
	}})
	if errors.Is(err, slacktest.ErrNotSlack) {
		signed, err = grafanasign.ResignEvent(raw, grafanaSecret, t)
	}
	switch {
	case errors.Is(err, grafanasign.ErrNotGrafana):
		signed = raw
	case err != nil:
		return "", fmt.Errorf("%s: %w", file, err)
	}
	dest := filepath.Join(out, filepath.Base(file))
	if a, b := absolute(file), absolute(dest); a == b {
		return "", fmt.Errorf("%s: -out is the event's own folder: the recorded events stay as they are", file)
	}
	if err := os.WriteFile(dest, signed, 0o644); err != nil {
		return "", err
	}
	return dest, nil
}

func absolute(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
