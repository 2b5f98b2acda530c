// Command localinvoke is `make local-invoke EVENT=events/...json`: what `sam local invoke -e
// <event> --env-vars env.json` does, without the SAM CLI and Docker. It signs the event with the
// current time into an ignored folder (the tracked file stays as recorded), runs the bootstrap
// under the pinned Runtime Interface Emulator with env.json's settings, sends the event and
// prints the answer.
//
// What the function sends outside is caught on loopback and printed: Slack (response_url and
// the Web API) by a stub, and its asynchronous self-invocations by the fake Lambda API, whose
// jobs are then delivered to the same instance, as Lambda would.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakelambda"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local-invoke:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("localinvoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envFile := fs.String("env", "env.json", "`file` of settings, as for sam local invoke --env-vars")
	function := fs.String("function", "PauseFunction", "logical id of the function in the env file")
	bootstrap := fs.String("bootstrap", "", "the function's `bootstrap`, built for this machine")
	rie := fs.String("rie", "", "the Runtime Interface Emulator (`aws-lambda-rie`)")
	out := fs.String("out", "bin/events", "`folder` the signed event is written to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *bootstrap == "" || *rie == "" {
		return errors.New("usage: localinvoke -bootstrap <path> -rie <path> [-env env.json] <event.json>")
	}
	settings, err := readEnv(*envFile, *function)
	if err != nil {
		return err
	}

	slack := startSlackStub(stdout)
	defer slack.Close()
	lambdaAPI := fakelambda.Start()
	defer lambdaAPI.Close()

	event, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	// A recorded click's buttons get values this deployment made, as a card posted now has.
	secret, now := settings["SLACK_SIGNING_SECRET"], time.Now()
	signed, err := slacktest.ResignEvent(event, secret, now, slacktest.Resign{Rewrite: toStub(slack.URL),
		Button: func(id, requester string) string { return bot.ButtonValue(secret, id, requester, now) }})
	switch {
	case errors.Is(err, slacktest.ErrNotSlack):
		signed = event
	case err != nil:
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	dest := filepath.Join(*out, filepath.Base(fs.Arg(0)))
	if err := os.WriteFile(dest, signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "event: %s\n", dest)

	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	// As Lambda gives them, pointed at the fake; the keys open nothing.
	env = append(env, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIDLOCALINVOKE", "AWS_SECRET_ACCESS_KEY=local-invoke",
		"AWS_LAMBDA_FUNCTION_NAME="+strings.ToLower(*function), "AWS_ENDPOINT_URL_LAMBDA="+lambdaAPI.URL(),
		"SLACK_API_URL="+slack.URL+"/api/")

	fn, err := startEmulator(ctx, *rie, *bootstrap, env, stderr)
	if err != nil {
		return err
	}
	defer fn.stop()
	answer, err := fn.invoke(ctx, signed)
	if err != nil {
		return err
	}
	printAnswer(stdout, "answer", answer)
	// A click defers its pause to an asynchronous invocation of the function: deliver it.
	for _, inv := range lambdaAPI.All() {
		answer, err := fn.invoke(ctx, inv.Payload)
		if err != nil {
			return err
		}
		printAnswer(stdout, "asynchronous invocation "+inv.InvocationType, answer)
	}
	return nil
}

// readEnv returns the settings of function in a SAM env vars file: {"<LogicalId>": {NAME: value}}.
func readEnv(file, function string) (map[string]string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var all map[string]map[string]string
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	settings, ok := all[function]
	if !ok {
		return nil, fmt.Errorf("%s: no settings for %s", file, function)
	}
	return settings, nil
}

// printAnswer prints an invocation's answer, the body of an HTTP one decoded.
func printAnswer(w io.Writer, what string, answer []byte) {
	var h struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if json.Unmarshal(answer, &h) == nil && h.StatusCode != 0 {
		fmt.Fprintf(w, "%s: HTTP %d\n%s\n", what, h.StatusCode, h.Body)
		return
	}
	fmt.Fprintf(w, "%s:\n%s\n", what, answer)
}

// startSlackStub answers Slack's Web API and response_url as Slack would for a message, and
// prints each message's text.
func startSlackStub(w io.Writer) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		text := ""
		var m struct{ Text string }
		if json.Unmarshal(body, &m) == nil {
			text = m.Text
		} else if form, err := url.ParseQuery(string(body)); err == nil {
			text = form.Get("text")
		}
		fmt.Fprintf(w, "slack <- %s %s: %s\n", r.Method, r.URL.Path, text)
		rw.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			io.WriteString(rw, `{"ok":true,"channel":"C0LOCAL01","ts":"1795600801.000200"}`)
			return
		}
		io.WriteString(rw, "ok")
	}))
}

// toStub rewrites the hooks.slack.com response_url of a Slack body to the stub.
func toStub(stub string) func([]byte) []byte {
	return func(body []byte) []byte {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return body
		}
		for k, vs := range form {
			for i, v := range vs {
				form[k][i] = strings.ReplaceAll(v, "https://hooks.slack.com/", stub+"/response/")
			}
		}
		return []byte(form.Encode())
	}
}

// emulator is the bootstrap under the Runtime Interface Emulator.
type emulator struct {
	cmd *exec.Cmd
	url string
}

// startEmulator runs the bootstrap under the emulator on loopback ports, in a process group of
// its own so that stop ends the bootstrap too.
func startEmulator(ctx context.Context, rie, bootstrap string, env []string, stderr io.Writer) (*emulator, error) {
	addr, err1 := freeAddr()
	apiAddr, err2 := freeAddr()
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	fn := &emulator{cmd: cmd, url: "http://" + addr + "/2015-03-31/functions/function/invocations"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return fn, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fn.stop()
			return nil, fmt.Errorf("the emulator is not accepting connections on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // a poll with a deadline: nothing to wait on
	}
}

// invoke sends one event and returns the function's answer.
func (e *emulator) invoke(ctx context.Context, event []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke: got %d %s (%v); want 200", resp.StatusCode, body, err)
	}
	return body, nil
}

// stop ends the emulator, and the bootstrap it started in a process group of the bootstrap's own.
func (e *emulator) stop() {
	kids := children(e.cmd.Process.Pid)
	syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	for _, k := range kids {
		syscall.Kill(-k, syscall.SIGKILL)
		syscall.Kill(k, syscall.SIGKILL)
	}
	e.cmd.Wait()
}

// children returns the pids whose parent is pid, read from /proc.
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// The fields after the command name, which is in parentheses and may hold spaces.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 2 && f[1] == strconv.Itoa(pid) {
			if c, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
