// Command signevents writes the recorded events of events/ into another folder (bin/events with
// `make events`), the Slack ones re-signed with the current time, so `sam local invoke -e` gets
// requests Slack's five-minute window accepts while the tracked files stay as recorded. Events
// without a Slack signature are copied unchanged, so the folder holds every event.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dws-dr/drpause/functions/pause/internal/slacksign"
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
	secret := fs.String("secret", slacksign.LocalSecret, "Slack signing secret to sign with")
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
		dest, err := signInto(name, *out, *secret, now, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", dest)
	}
	return nil
}

// signInto writes the event in file into the folder out under the same base name, re-signed with
// secret at t when it carries a Slack signature (after rewrite, if not nil, changed its body),
// and returns the path written. It refuses to write over file itself.
func signInto(file, out, secret string, t time.Time, rewrite func([]byte) []byte) (string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	signed, err := slacksign.ResignEvent(raw, secret, t, rewrite)
	switch {
	case errors.Is(err, slacksign.ErrNotSlack):
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
