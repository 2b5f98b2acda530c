// Command demo shows the whole job on one machine, with nothing to set up: it builds the real
// binary, starts it in HTTP mode against the built-in DR simulator with a local Slack that
// applies Slack's rules (bot/slacktest), sends a signed "/dr pause" as Slack does, clicks Pause
// on the card as Slack does, and prints the Slack messages as a person reads them, until the DR
// is stopped; then it does the same with "/dr resume" (DR_RESUME=true) until the DR is running
// again. It exits non-zero if any step fails, if the channel does not end on each result, or if
// the bot broke one of Slack's rules. Run it with `make demo`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dws-dr/drpause/bot/slacktest"
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
	team      = "T0DEMO"
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

	slack := slacktest.NewServer(slacktest.Config{Rules: slacktest.Strict})
	defer slack.Close()
	base, logs, stopServer, err := start(ctx, bin, slack)
	if err != nil {
		return err
	}
	defer stopServer()
	fail := func(err error) error { return fmt.Errorf("%w\n--- server log ---\n%s", err, logs()) }
	app := slacktest.Forward(base)

	fmt.Fprintf(w, "Started in HTTP mode on %s with the DR simulator; Slack is a local stand-in.\n\n", base)

	id := drsim.SeedRunning
	shown := 0
	steps := []struct{ sub, action, done string }{
		{"pause", "dr_pause", "stopped"},
		{"resume", "dr_resume", "running"},
	}
	for _, st := range steps {
		fmt.Fprintf(w, "#dr-ops  <@%s>: /dr %s %s\n", requester, st.sub, id)
		answer := slack.Command(app, slacktest.SlashCommand{Team: team, Channel: channel, User: requester, Text: st.sub + " " + id})
		if answer.Status != http.StatusOK || answer.Shown == nil {
			return fail(fmt.Errorf("/dr %s: status %d: %s", st.sub, answer.Status, answer.Body))
		}
		show(w, "drpause", answer.Shown.Fields)
		if _, ok := answer.Shown.Buttons()[st.action]; !ok {
			return fail(fmt.Errorf("the card has no %s button", st.action))
		}

		fmt.Fprintf(w, "#dr-ops  <@%s> clicks [%s] and confirms the dialog\n", approver, strings.ToUpper(st.sub[:1])+st.sub[1:])
		click := slack.Click(app, slacktest.Click{Team: team, User: approver, MessageTS: answer.Shown.TS, ActionID: st.action})
		if click.Status != http.StatusOK {
			return fail(fmt.Errorf("click: status %d: %s", click.Status, click.Body))
		}
		var err error
		if shown, err = follow(ctx, w, slack, answer.Shown.TS, shown, st.done); err != nil {
			return fail(err)
		}
		fmt.Fprintf(w, "Done: DR %s is %s.\n\n", id, st.done)
	}
	return nil
}

// follow prints what reaches Slack from post shown on, until the result saying the DR is done
// (stopped, running), and returns how many posts it has seen.
func follow(ctx context.Context, w io.Writer, slack *slacktest.Server, cardTS string, shown int, done string) (int, error) {
	want := "status *" + done + "*"
	for {
		changed := slack.Changed()
		posts := slack.Posts()
		for ; shown < len(posts); shown++ {
			p := posts[shown]
			if !p.OK() {
				return shown, fmt.Errorf("Slack refused a message: %v", p)
			}
			who := "drpause"
			if p.TS == cardTS {
				who = "drpause, in place of the card"
			}
			show(w, who, p.Fields)
			text := p.Render()
			switch {
			case strings.Contains(text, want) && !strings.Contains(text, ":hourglass"):
				// Slack's rules were on: the result must be what the channel shows last.
				if last, _ := slack.Last(channel); !strings.Contains(last.Render(), want) {
					return shown, fmt.Errorf("the channel ends on %q, not on the result", last.Text)
				}
				if v := slack.Violations(); len(v) > 0 {
					return shown, fmt.Errorf("the bot broke Slack's rules: %v", v)
				}
				return shown + 1, nil
			case strings.Contains(text, ":x:") || strings.Contains(text, "Interrupted"):
				return shown, fmt.Errorf("it did not end in %s", done)
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return shown, fmt.Errorf("no final message: %w", ctx.Err())
		}
	}
}

// start runs the binary and returns its base URL, a view of its log, and a stop function.
func start(ctx context.Context, bin string, slack *slacktest.Server) (string, func() string, func(), error) {
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"DR_SIMULATE=true",
		"DR_SIMULATE_DELAY=2s",
		"DR_LISTEN_HOST=127.0.0.1",
		"PORT=0",
		"SLACK_SIGNING_SECRET=" + slacktest.LocalSecret,
		"SLACK_API_URL=" + slack.APIURL(),
		"DR_ALLOWED_USERS=" + requester + "," + approver,
		"DR_FOUR_EYES=true",
		"DR_RESUME=true",
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

// show prints one message, indented, as a person reads it in Slack.
func show(w io.Writer, who string, fields map[string]any) {
	fmt.Fprintf(w, "#dr-ops  %s:\n", who)
	for _, line := range strings.Split(strings.TrimRight(slacktest.Render(fields), "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
	fmt.Fprintln(w)
}
