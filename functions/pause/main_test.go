package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/functions/pause/internal/grafanasign"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakelambda"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger/ledgertest"
)

// Paths of the binaries TestMain builds once: the real bootstrap (built as in the Makefile, for
// the host) and the pinned Runtime Interface Emulator.
var bootstrapPath, riePath string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "drpause-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	defer ledgertest.Stop() // dynalite, started by the first test that needs a shared ledger
	// One go build for both, so they compile in parallel; -o dir/ names them after their packages.
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", dir+string(os.PathSeparator),
		".", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build bootstrap and emulator: %v\n%s", err, out)
		return 1
	}
	bootstrapPath, riePath = filepath.Join(dir, "bootstrap"), filepath.Join(dir, "aws-lambda-rie")
	if err := os.Rename(filepath.Join(dir, "pause"), bootstrapPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// Secrets of the test deployments: local values, checked never to appear in any output.
const (
	invokeToken   = "local-invoke-token"
	alertToken    = "local-alert-token"
	grafanaSecret = grafanasign.LocalSecret
	botToken      = "xoxb-local-bot-token-0123456789"
	huaweiSK      = "hw-secret-key-must-never-print"
)

// baseEnv is a clean environment (nothing of the developer's leaks in) for the binary.
func baseEnv(slack *slacktest.Server) []string {
	return []string{
		"DR_SIMULATE=true",
		"DR_SIMULATE_DELAY=0",
		"SLACK_SIGNING_SECRET=" + slacktest.LocalSecret,
		"SLACK_BOT_TOKEN=" + botToken,
		"SLACK_API_URL=" + slack.APIURL(),
		"DR_ALLOWED_USERS=*",
		"DR_INVOKE_TOKEN=" + invokeToken,
		"DR_ALERT_TOKEN=" + alertToken,
		"DR_GRAFANA_SECRET=" + grafanaSecret,
		"DR_ALERT_CHANNEL=C0LOCAL01",
	}
}

// output collects a process's output lines safely while it runs.
type output struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func newOutput() *output { return &output{lines: make(chan string, 256)} }

func (o *output) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		o.mu.Lock()
		o.buf.WriteString(sc.Text() + "\n")
		o.mu.Unlock()
		select {
		case o.lines <- sc.Text():
		default:
		}
	}
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitDial polls addr until it accepts a connection or the deadline passes.
func waitDial(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not accepting connections: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // a poll with a deadline: nothing to wait on
	}
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
		rest := b[bytes.LastIndexByte(b, ')')+1:]
		f := strings.Fields(string(rest))
		if len(f) > 2 && f[1] == strconv.Itoa(pid) {
			if c, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// emulator is the bootstrap running under the Runtime Interface Emulator.
type emulator struct {
	url string
	out *output
	mu  sync.Mutex // the emulator panics on overlapping invocations
}

// startEmulator runs the bootstrap under the emulator with env, on loopback addresses, and
// stops both at the end of the test: the emulator starts the bootstrap in a process group of
// its own, so that group is killed too.
func startEmulator(t *testing.T, env []string) *emulator {
	t.Helper()
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(riePath, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrapPath)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := newOutput()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go out.collect(pr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		kids := children(cmd.Process.Pid)
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		for _, k := range kids {
			syscall.Kill(-k, syscall.SIGKILL)
			syscall.Kill(k, syscall.SIGKILL)
		}
		cmd.Wait()
		pw.Close()
		if t.Failed() {
			t.Logf("emulator output:\n%s", out)
		}
	})
	waitDial(t, addr)
	return &emulator{url: "http://" + addr + "/2015-03-31/functions/function/invocations", out: out}
}

// invoke sends one event and returns the function's answer.
func (e *emulator) invoke(t *testing.T, event []byte) []byte {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(event))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: got %d %s (%v); want 200", resp.StatusCode, body, err)
	}
	return body
}

// pointAtDouble rewrites the hooks.slack.com response_url of a recorded Slack body (a form,
// possibly with a JSON payload field) to the local double.
func pointAtDouble(slack *slacktest.Server) func([]byte) []byte {
	return func(body []byte) []byte {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return body
		}
		for k, vs := range form {
			for i, v := range vs {
				form[k][i] = strings.ReplaceAll(v, "https://hooks.slack.com/", slack.URL()+"/")
			}
		}
		return []byte(form.Encode())
	}
}

// resign is how a test re-signs a recorded event with secret: rewrite first, then fresh button
// values for the cards of this deployment.
func resign(secret string, rewrite func([]byte) []byte) slacktest.Resign {
	now := time.Now()
	return slacktest.Resign{Rewrite: rewrite, Button: func(id, requester string) string {
		return bot.ButtonValue(secret, id, requester, now)
	}}
}

// newSlack starts a Slack that applies all of Slack's rules and, when the test ends, fails it
// for each one the binary broke.
func newSlack(t *testing.T) *slacktest.Server {
	t.Helper()
	s := slacktest.Start(t, slacktest.Config{Rules: slacktest.Strict})
	t.Cleanup(func() { s.CheckNoViolations(t, slacktest.RuleAnswerIn3s) })
	return s
}

// waitMessage waits until Slack took a message for which ok is true.
func waitMessage(t *testing.T, slack *slacktest.Server, ok func(slacktest.Post) bool) slacktest.Post {
	t.Helper()
	return slack.Wait(t, "matching Slack message", func(p slacktest.Post) bool { return p.OK() && ok(p) })
}

func mentions(s string) func(slacktest.Post) bool {
	return func(m slacktest.Post) bool { return strings.Contains(m.Render(), s) }
}

// checkNoSecrets fails if any test secret appears in out.
func checkNoSecrets(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{slacktest.LocalSecret, invokeToken, alertToken, grafanaSecret, botToken, huaweiSK} {
		if strings.Contains(out, s) {
			t.Errorf("output holds the secret %q:\n%s", s, out)
		}
	}
}

const functionName = "drpause-pause"

// lambdaEnv points the function's AWS SDK at the fake Lambda API, with dummy credentials so
// requests are signed as in the cloud.
func lambdaEnv(f *fakelambda.Server) []string {
	return []string{
		"AWS_ENDPOINT_URL_LAMBDA=" + f.URL(),
		"AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=AKIDLOCALTEST",
		"AWS_SECRET_ACCESS_KEY=local-aws-secret",
		"AWS_LAMBDA_FUNCTION_NAME=" + functionName,
	}
}

// httpAnswer is the part of a Function URL / API Gateway answer the tests look at.
type httpAnswer struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

// TestLambdaEvents runs every file in events/ through the real bootstrap under the emulator,
// each in a fresh function instance, and checks the answers. Files without an entry below (new
// samples) must still get a 2xx answer.
func TestLambdaEvents(t *testing.T) {
	type check struct {
		status int      // HTTP events: the statusCode; 0 for direct invocations
		body   []string // substrings of the (HTTP) body or the payload
	}
	checks := map[string]check{
		"slash-command.json":      {status: 200, body: []string{`"action_id":"dr_pause"`, `"action_id":"dr_cancel"`, drsim.SeedRunning}},
		"button-click.json":       {status: 200},
		"direct-invoke.json":      {body: []string{`"status":"stopped"`, `"id":"` + drsim.SeedRunning + `"`}},
		"rest-v1-invoke.json":     {status: 200, body: []string{`"status":"stopped"`, drsim.SeedStopped}},
		"alert-alertmanager.json": {status: 200, body: []string{`proposed`}},
		"alert-grafana.json":      {status: 200, body: []string{`proposed`}},
		// SMN's sample carries no verifiable signature and the route is off without DR_SMN_TOPICS.
		"alert-smn.json": {status: 403},
	}
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("events: got %d files (%v); want some", len(files), err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			slack := newSlack(t)
			lambdaAPI := fakelambda.Start()
			defer lambdaAPI.Close()
			env := append(baseEnv(slack), lambdaEnv(lambdaAPI)...)
			event, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if signed, err := slacktest.ResignEvent(event, slacktest.LocalSecret, time.Now(), resign(slacktest.LocalSecret, pointAtDouble(slack))); err == nil {
				event = signed
			} else if !errors.Is(err, slacktest.ErrNotSlack) {
				t.Fatalf("re-sign: %v", err)
			}
			if signed, err := grafanasign.ResignEvent(event, grafanaSecret, time.Now()); err == nil {
				event = signed
			} else if !errors.Is(err, grafanasign.ErrNotGrafana) {
				t.Fatalf("re-sign: %v", err)
			}
			fn := startEmulator(t, env)
			got := fn.invoke(t, event)

			want, known := checks[name]
			var ans httpAnswer
			isHTTP := json.Unmarshal(got, &ans) == nil && ans.StatusCode != 0
			switch {
			case isHTTP && known && ans.StatusCode != want.status:
				t.Fatalf("statusCode: got %d (%s); want %d", ans.StatusCode, ans.Body, want.status)
			case isHTTP && !known && (ans.StatusCode < 200 || ans.StatusCode > 299):
				t.Fatalf("statusCode: got %d (%s); want 2xx", ans.StatusCode, ans.Body)
			case !isHTTP && bytes.Contains(got, []byte(`"errorMessage"`)) || bytes.Contains(got, []byte(`"error":{`)):
				t.Fatalf("answer: got %s; want success", got)
			case !isHTTP && known && want.status != 0:
				t.Fatalf("answer: got %s; want an HTTP answer with statusCode %d", got, want.status)
			}
			content := string(got)
			if isHTTP {
				content = ans.Body
			}
			for _, s := range want.body {
				if !strings.Contains(content, s) {
					t.Errorf("answer: got %s; want it to contain %s", content, s)
				}
			}
			if name == "button-click.json" {
				checkDeferredPause(t, fn, lambdaAPI, slack)
			}
			checkNoSecrets(t, fn.out.String())
		})
	}
}

// checkDeferredPause follows a click: the function must have invoked itself asynchronously with a
// sealed job; delivering that job runs the pause, which reports "stopped" to Slack. A tampered
// copy of the job is refused.
func checkDeferredPause(t *testing.T, fn *emulator, lambdaAPI *fakelambda.Server, slack *slacktest.Server) {
	t.Helper()
	var inv fakelambda.Invocation
	select {
	case inv = <-lambdaAPI.Calls():
	case <-time.After(10 * time.Second):
		t.Fatal("no asynchronous self-invocation after the click")
	}
	if inv.InvocationType != "Event" || inv.FunctionName != functionName || !inv.Signed {
		t.Errorf("self-invocation: got type %q function %q signed %t; want Event, %s, signed",
			inv.InvocationType, inv.FunctionName, inv.Signed, functionName)
	}
	waitMessage(t, slack, mentions("Pausing DR"))

	tampered := bytes.Replace(inv.Payload, []byte(drsim.SeedRunning), []byte(drsim.SeedStopFailed), 1)
	if got := fn.invoke(t, tampered); !bytes.Contains(got, []byte("bad mac")) {
		t.Errorf("tampered job: got %s; want a bad mac refusal", got)
	}
	if got := fn.invoke(t, inv.Payload); string(got) != "null" {
		t.Errorf("job: got %s; want null (success)", got)
	}
	waitMessage(t, slack, mentions("status *stopped*"))
}
