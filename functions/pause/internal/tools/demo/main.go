// Command demo shows the whole job on one machine, with nothing to set up: it builds the real
// binary, starts it in HTTP mode against the built-in DR simulator with a local stand-in for
// Slack, sends a signed "/dr pause" as Slack does, clicks Pause on the card as Slack does, and
// prints the Slack messages as a person reads them, until the DR is stopped. It exits non-zero
// if any step fails. Run it with `make demo`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dws-dr/drpause/functions/pause/internal/slackdouble"
	"github.com/dws-dr/drpause/functions/pause/internal/slacksign"
	"github.com/dws-dr/drpause/pkg/drsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

const (
	requester = "U0ALICE"
	approver  = "U0BOB"
	channel   = "C0DROPS"
)

func run(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "drpause-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintln(w, "Building the binary...")
	bin := filepath.Join(dir, "bootstrap")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", bin, "github.com/dws-dr/drpause/functions/pause")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %w\n%s", err, out)
	}

	slack := slackdouble.Start()
	defer slack.Close()
	base, logs, stopServer, err := start(ctx, bin, slack)
	if err != nil {
		return err
	}
	defer stopServer()
	fail := func(err error) error { return fmt.Errorf("%w\n--- server log ---\n%s", err, logs()) }

	fmt.Fprintf(w, "Started in HTTP mode on %s with the DR simulator; Slack is a local stand-in.\n\n", base)

	id := drsim.SeedRunning
	fmt.Fprintf(w, "#dr-ops  <@%s>: /dr pause %s\n", requester, id)
	form := url.Values{
		"team_id": {"T0DEMO"}, "team_domain": {"demo"}, "channel_id": {channel}, "channel_name": {"dr-ops"},
		"user_id": {requester}, "user_name": {"alice"}, "command": {"/dr"}, "text": {"pause " + id},
		"response_url": {slack.ResponseURL("command")}, "trigger_id": {"1.2.demo"}, "api_app_id": {"A0DEMO"},
	}
	status, body, err := postSigned(ctx, base+"/slack/commands", form)
	if err != nil || status != http.StatusOK {
		return fail(fmt.Errorf("slash command: status %d: %v: %s", status, err, body))
	}
	var card map[string]any
	if err := json.Unmarshal(body, &card); err != nil {
		return fail(fmt.Errorf("slash command answer: %w: %s", err, body))
	}
	show(w, "drpause", card)
	value, ok := slackdouble.Buttons(card)["dr_pause"]
	if !ok {
		return fail(errors.New("the card has no Pause button"))
	}

	fmt.Fprintf(w, "#dr-ops  <@%s> clicks [Pause] and confirms the dialog\n", approver)
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "api_app_id": "A0DEMO",
		"user":         map[string]any{"id": approver, "username": "bob"},
		"team":         map[string]any{"id": "T0DEMO", "domain": "demo"},
		"channel":      map[string]any{"id": channel, "name": "dr-ops"},
		"container":    map[string]any{"type": "message", "message_ts": "1795600801.000100", "channel_id": channel},
		"message":      map[string]any{"type": "message", "ts": "1795600801.000100", "blocks": card["blocks"]},
		"response_url": slack.ResponseURL("click"),
		"actions": []any{map[string]any{
			"action_id": "dr_pause", "block_id": "dr_actions:" + id, "type": "button", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Pause"}, "style": "danger",
		}},
	})
	status, body, err = postSigned(ctx, base+"/slack/interactions", url.Values{"payload": {string(payload)}})
	if err != nil || status != http.StatusOK {
		return fail(fmt.Errorf("click: status %d: %v: %s", status, err, body))
	}

	// Print what reaches Slack until the final word.
	shown := 0
	for {
		changed := slack.Changed()
		msgs := slack.Messages()
		for ; shown < len(msgs); shown++ {
			show(w, "drpause", msgs[shown].Fields)
			text := slackdouble.Render(msgs[shown].Fields)
			switch {
			case strings.Contains(text, "status *stopped*"):
				fmt.Fprintf(w, "Done: DR %s is stopped.\n", id)
				return nil
			case strings.Contains(text, ":x:") || strings.Contains(text, "Interrupted"):
				return fail(errors.New("the pause did not end in stopped"))
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fail(fmt.Errorf("no final message: %w", ctx.Err()))
		}
	}
}

// start runs the binary and returns its base URL, a view of its log, and a stop function.
func start(ctx context.Context, bin string, slack *slackdouble.Server) (string, func() string, func(), error) {
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"DR_SIMULATE=true",
		"DR_SIMULATE_DELAY=2s",
		"DR_LISTEN_HOST=127.0.0.1",
		"PORT=0",
		"SLACK_SIGNING_SECRET=" + slacksign.LocalSecret,
		"SLACK_API_URL=" + slack.APIURL(),
		"DR_ALLOWED_USERS=" + requester + "," + approver,
		"DR_FOUR_EYES=true",
	}
	var logBuf bytes.Buffer
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return "", nil, nil, fmt.Errorf("start: %w", err)
	}
	addr := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logBuf.WriteString(sc.Text() + "\n")
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				addr <- l.Addr
			}
		}
	}()
	exited := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(exited) }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	logs := func() string { stop(); <-logged; return logBuf.String() }
	select {
	case a := <-addr:
		return "http://" + a, logs, stop, nil
	case <-exited:
		<-logged
		return "", nil, nil, fmt.Errorf("the binary exited before listening:\n%s", logBuf.String())
	case <-ctx.Done():
		stop()
		return "", nil, nil, fmt.Errorf("the binary did not start listening: %w", ctx.Err())
	}
}

// postSigned posts form as Slack does: URL-encoded and signed with the local signing secret.
func postSigned(ctx context.Context, target string, form url.Values) (int, []byte, error) {
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	slacksign.SignRequest(req, slacksign.LocalSecret, time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// show prints one message, indented, as a person reads it in Slack.
func show(w io.Writer, who string, fields map[string]any) {
	fmt.Fprintf(w, "#dr-ops  %s:\n", who)
	for _, line := range strings.Split(strings.TrimRight(slackdouble.Render(fields), "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
	fmt.Fprintln(w)
}
