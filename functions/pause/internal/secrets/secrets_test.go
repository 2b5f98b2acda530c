package secrets_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/functions/pause/internal/secrets"
	"github.com/dws-dr/drpause/functions/pause/internal/tools/fakesecrets"
	"github.com/dws-dr/drpause/pkg/awsapi"
)

const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:drpause-AbCdEf"

// Canary values: none may appear in an error or a log line.
const (
	oldSigning = "sig-CANARY-old-0a1b2c3d"
	newSigning = "sig-CANARY-new-4e5f6a7b"
	token      = "tok-CANARY-invoke-8c9d0e1f"
)

var names = []string{"SLACK_SIGNING_SECRET", "DR_INVOKE_TOKEN", "HUAWEICLOUD_SDK_SK"}

func secretJSON(signing string) string {
	return `{"SLACK_SIGNING_SECRET":"` + signing + `","DR_INVOKE_TOKEN":"` + token + `","HUAWEICLOUD_SDK_SK":""}`
}

// clock is a fake time source the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects log lines safely while background reads write to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fixture struct {
	fake  *fakesecrets.Server
	clock *clock
	logs  *logBuffer
	opts  secrets.Options
}

func setup(t *testing.T, value string) *fixture {
	t.Helper()
	fake := fakesecrets.Start(arn, value)
	t.Cleanup(fake.Close)
	api, err := awsapi.New(awsapi.Config{
		Region:      "eu-west-1",
		Credentials: awsapi.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "aws-secret"},
		Endpoints:   map[awsapi.Service]string{awsapi.SecretsManager: fake.URL()},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{fake: fake, clock: &clock{t: time.Now()}, logs: &logBuffer{}}
	f.opts = secrets.Options{ARN: arn, API: api, Names: names, Now: f.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	t.Cleanup(func() { checkNoCanary(t, "the logs", f.logs.String()) })
	return f
}

func (f *fixture) open(t *testing.T) *secrets.Source {
	t.Helper()
	src, err := secrets.Open(context.Background(), f.opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return src
}

// reads counts the GetSecretValue calls for AWSCURRENT.
func (f *fixture) reads() int {
	n := 0
	for _, c := range f.fake.Calls() {
		if c.VersionStage == "AWSCURRENT" {
			n++
		}
	}
	return n
}

func checkNoCanary(t *testing.T, where, s string) {
	t.Helper()
	for _, c := range []string{oldSigning, newSigning, token, "sig-CANARY-newest-9f8e7d6c"} {
		if strings.Contains(s, c) {
			t.Errorf("%s hold a secret value:\n%s", where, s)
		}
	}
}

func TestOpen(t *testing.T) {
	f := setup(t, secretJSON(oldSigning))
	src := f.open(t)
	got := src.Values()
	if len(got) != 2 || got["SLACK_SIGNING_SECRET"] != oldSigning || got["DR_INVOKE_TOKEN"] != token {
		t.Errorf("Values: got %d values; want the signing secret and the token, the empty SK left out", len(got))
	}
	sig := src.Secret("SLACK_SIGNING_SECRET")
	if sig.Current() != oldSigning || sig.Previous() != "" {
		t.Errorf("signing secret: got current ok %t, previous %q; want the value and no previous (one version)",
			sig.Current() == oldSigning, sig.Previous())
	}
	if v := src.Secret("HUAWEICLOUD_SDK_SK").Current(); v != "" {
		t.Errorf("empty SK: got %d bytes; want none", len(v))
	}
	if len(f.fake.Calls()) == 0 {
		t.Fatal("Secrets Manager calls: got none; want the read at start")
	}
	for _, c := range f.fake.Calls() {
		if c.Target != "secretsmanager.GetSecretValue" || c.SecretID != arn || !c.Signed {
			t.Errorf("call: got %+v; want a signed GetSecretValue of %s", c, arn)
		}
	}
}

// TestOpenRefuses: a secret that cannot be used stops start-up with an error that names what is
// wrong and holds no value.
func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name, value, arn string
		want             string // in the error
		notWant          string // never in the error
	}{
		{name: "not JSON", value: "sig-CANARY-old-0a1b2c3d", want: "not a JSON object"},
		{name: "JSON array", value: `["` + oldSigning + `"]`, want: "not a JSON object"},
		{name: "unknown variable", value: `{"SLACK_SIGNING_SECERT":"` + oldSigning + `"}`, want: "key SLACK_SIGNING_SECERT is not a secret variable"},
		{name: "value as key", value: `{"` + oldSigning + `":""}`, want: "a key that is not a variable name"},
		{name: "number", value: `{"DR_INVOKE_TOKEN":12345}`, want: "DR_INVOKE_TOKEN: want a string"},
		{name: "unknown secret", value: secretJSON(oldSigning), arn: arn + "x", want: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, tt.value)
			if tt.arn != "" {
				f.opts.ARN = tt.arn
			}
			_, err := secrets.Open(context.Background(), f.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: got %v; want an error about %q", err, tt.want)
			}
			checkNoCanary(t, "the error", err.Error())
		})
	}
}

// TestRecheck: a failed verification re-reads the secret at once the first time, then at most
// once per RecheckEvery, and the new value is in force when Recheck returns.
func TestRecheck(t *testing.T) {
	f := setup(t, secretJSON(oldSigning))
	src := f.open(t)
	sig := src.Secret("SLACK_SIGNING_SECRET")
	ctx := context.Background()
	if sig.Recheck(ctx, oldSigning) {
		t.Error("Recheck with the secret unchanged: got true; want false")
	}
	if got := f.reads(); got != 2 {
		t.Fatalf("reads after the first Recheck: got %d; want 2 (start, then at once)", got)
	}

	f.fake.Put(secretJSON(newSigning))
	if sig.Current() != oldSigning {
		t.Fatal("Current changed without a read")
	}
	if sig.Recheck(ctx, oldSigning) {
		t.Error("Recheck within a minute of the last: got true; want false (no read)")
	}
	if got := f.reads(); got != 2 {
		t.Errorf("reads: got %d; want 2: a second re-read within a minute", got)
	}
	f.clock.Add(secrets.DefaultRecheckEvery)
	if !sig.Recheck(ctx, oldSigning) {
		t.Fatal("Recheck a minute later after a rotation: got false; want true")
	}
	if sig.Current() != newSigning || sig.Previous() != oldSigning {
		t.Errorf("after the re-read: current new %t, previous old %t; want both", sig.Current() == newSigning, sig.Previous() == oldSigning)
	}
	// Another request that failed with the old value sees the new one without a read.
	before := f.reads()
	if !sig.Recheck(ctx, oldSigning) || f.reads() != before {
		t.Errorf("Recheck of a value already replaced: want true without a read (reads %d -> %d)", before, f.reads())
	}
	// The token did not change: its Recheck finds nothing new, and the re-read budget is spent.
	if src.Secret("DR_INVOKE_TOKEN").Recheck(ctx, token) {
		t.Error("Recheck of the unchanged token: got true; want false")
	}
}

// TestPreviousForGrace: the previous version's values are accepted for Grace after the current
// version was created, then no more.
func TestPreviousForGrace(t *testing.T) {
	f := setup(t, secretJSON(oldSigning))
	f.fake.Put(secretJSON(newSigning))
	// An instance started after the rotation knows the previous value too: every instance agrees.
	src := f.open(t)
	sig := src.Secret("SLACK_SIGNING_SECRET")
	if sig.Current() != newSigning || sig.Previous() != oldSigning {
		t.Fatalf("started after a rotation: current new %t, previous old %t; want both", sig.Current() == newSigning, sig.Previous() == oldSigning)
	}
	f.clock.Add(secrets.DefaultGrace + time.Second)
	if p := sig.Previous(); p != "" {
		t.Error("Previous after the grace period: got the old value; want none")
	}
}

// TestScheduledRead: once the values are MaxAge old, a use of them starts a re-read in the
// background; the use itself goes on with the values it had.
func TestScheduledRead(t *testing.T) {
	f := setup(t, secretJSON(oldSigning))
	src := f.open(t)
	sig := src.Secret("SLACK_SIGNING_SECRET")
	f.fake.Put(secretJSON(newSigning))
	f.clock.Add(secrets.DefaultMaxAge - time.Second)
	if sig.Current() != oldSigning || f.reads() != 1 {
		t.Fatalf("before MaxAge: got a read or a new value (reads %d); want neither", f.reads())
	}
	f.clock.Add(time.Second)
	if sig.Current() != oldSigning {
		t.Error("the use that starts the re-read: got the new value; want the one in force")
	}
	waitFor(t, func() bool { return sig.Current() == newSigning })
	if got := f.reads(); got != 2 {
		t.Errorf("reads: got %d; want 2", got)
	}
	if !strings.Contains(f.logs.String(), `"changed":["SLACK_SIGNING_SECRET"]`) {
		t.Errorf("logs: no line naming the changed variable:\n%s", f.logs)
	}
}

// TestReadFailureKeepsValues: a failed re-read leaves the values in force and puts the next
// scheduled one off by RecheckEvery, instead of retrying at every request.
func TestReadFailureKeepsValues(t *testing.T) {
	f := setup(t, secretJSON(oldSigning))
	src := f.open(t)
	sig := src.Secret("SLACK_SIGNING_SECRET")
	f.fake.Fail("InternalServiceError")
	f.clock.Add(secrets.DefaultMaxAge)
	sig.Current()
	waitFor(t, func() bool { return strings.Contains(f.logs.String(), "InternalServiceError") })
	waitFor(t, func() bool { sig.Current(); return f.reads() == 2 })
	for range 10 {
		if sig.Current() != oldSigning {
			t.Fatal("after a failed re-read: the value changed; want the one read before")
		}
	}
	if got := f.reads(); got != 2 {
		t.Errorf("reads after uses within a minute of a failed one: got %d; want 2", got)
	}
	f.fake.Fail("")
	f.fake.Put(secretJSON(newSigning))
	f.clock.Add(secrets.DefaultRecheckEvery)
	waitFor(t, func() bool { return sig.Current() == newSigning })
	if got := f.reads(); got != 3 {
		t.Errorf("reads: got %d; want 3: start, the failed one, one a minute later", got)
	}
}

// waitFor polls cond until it holds, for at most 10 s: background reads have nothing to wait on.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond) // a poll with a deadline: nothing to wait on
	}
}

// TestPreviousReadOnlyWhenAccepted: the previous version is read only within the grace period
// after the current one was created, so a cold start long after the last rotation makes one call.
func TestPreviousReadOnlyWhenAccepted(t *testing.T) {
	f := setup(t, secretJSON(oldSigning))
	f.fake.Put(secretJSON(newSigning))
	f.fake.Backdate(secrets.DefaultGrace + time.Minute)
	src := f.open(t)
	if calls := f.fake.Calls(); len(calls) != 1 || calls[0].VersionStage != "AWSCURRENT" {
		t.Errorf("calls at start, rotated long ago: got %+v; want AWSCURRENT only", calls)
	}
	sig := src.Secret("SLACK_SIGNING_SECRET")
	if sig.Current() != newSigning || sig.Previous() != "" {
		t.Error("rotated long ago: want the current value and no previous")
	}

	const newest = "sig-CANARY-newest-9f8e7d6c"
	f.fake.Put(secretJSON(newest))
	if !sig.Recheck(context.Background(), newSigning) {
		t.Fatal("Recheck after a rotation: got false; want true")
	}
	calls := f.fake.Calls()
	if got := calls[len(calls)-1].VersionStage; len(calls) != 3 || got != "AWSPREVIOUS" {
		t.Errorf("calls after a fresh rotation: got %+v; want AWSCURRENT then AWSPREVIOUS", calls)
	}
	if sig.Current() != newest || sig.Previous() != newSigning {
		t.Error("after a fresh rotation: want the newest value, and the one it replaced as previous")
	}
}
