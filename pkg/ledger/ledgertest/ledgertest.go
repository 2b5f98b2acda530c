// Package ledgertest runs dynalite, the DynamoDB-compatible server of the ledger's tests (from
// npm, pinned by ../testdata/dynalite/package-lock.json and installed by `make test`), for the
// tests of any package: the ledger's own contract tests, and the tests that run two product
// processes on one shared table the way Lambda instances share one. One dynalite serves a test
// binary, started by the first test that asks for it and stopped by its TestMain through Stop;
// measurements start their own with Start. It is for tests and measurements only; the binary
// never imports it.
package ledgertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dws-dr/drpause/pkg/awsapi"
)

// Region is the region clients of the test dynalite sign for.
const Region = "us-east-1"

// Credentials are what clients of the test dynalite sign with: dynalite wants a signature but
// checks none. The secret parts are distinctive, so tests can look for them in what must not
// hold them.
var Credentials = awsapi.Credentials{
	AccessKeyID: "AKIDLEDGERTEST", SecretAccessKey: "ledger-test-secret", SessionToken: "ledger-test-token",
}

// TB is the part of testing.TB the helpers use, so this package need not import "testing" into
// anything that links it (the bench harness does).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Dir is where `make test` installs dynalite: pkg/ledger/testdata/dynalite, found from this
// file's own path, since the tests of every package run in their own directory.
func Dir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", errors.New("ledgertest: cannot locate pkg/ledger/testdata/dynalite (built with -trimpath?)")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "dynalite"), nil
}

// Start runs a dynalite of its own, in memory, on a free loopback port and returns its endpoint
// and a stop function. It exits on its own when this process ends, even if stop is never called.
// Tests use the binary's shared one instead (Endpoint, Table).
func Start() (endpoint string, stop func(), err error) {
	dir, err := Dir()
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "dynalite", "package.json")); err != nil {
		return "", nil, fmt.Errorf("dynalite is not installed in %s: run `make test`, which installs it with npm ci "+
			"(or: make dynalite)", dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", nil, errors.New("node not found: the ledger's tests need Node.js >= 20 to run dynalite")
	}
	cmd := exec.Command(node, "serve.js")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // serve.js exits when this closes
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop = func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	// serve.js prints its port once it listens.
	type hello struct {
		Port int `json:"port"`
	}
	got := make(chan hello, 1)
	go func() {
		var h hello
		line, _ := bufio.NewReader(stdout).ReadBytes('\n')
		_ = json.Unmarshal(line, &h)
		got <- h
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case h := <-got:
		if h.Port == 0 {
			stop()
			return "", nil, errors.New("dynalite: serve.js did not print its port")
		}
		return fmt.Sprintf("http://127.0.0.1:%d", h.Port), stop, nil
	case <-exited:
		return "", nil, errors.New("dynalite: serve.js exited before listening")
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("dynalite: serve.js did not listen within 30s")
	}
}

// Client returns an awsapi client for DynamoDB at endpoint, signing with Credentials, with a
// transport of its own, as another instance of the product would have.
func Client(endpoint string) (*awsapi.Client, error) {
	return awsapi.New(awsapi.Config{
		Region:      Region,
		Credentials: Credentials,
		Endpoints:   map[awsapi.Service]string{awsapi.DynamoDB: endpoint},
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
	})
}

// Env is the environment that points the binary's ledger at table on endpoint, as Lambda's
// environment and the deployment would.
func Env(endpoint, table string) []string {
	return []string{
		"DR_LEDGER=dynamodb",
		"DR_LEDGER_TABLE=" + table,
		"AWS_ENDPOINT_URL_DYNAMODB=" + endpoint,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + Credentials.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + Credentials.SessionToken,
	}
}

// CreateTable creates table at endpoint as the deployment does (partition key pk, string, no
// sort key, on-demand), then waits, polling with a deadline, until it is ACTIVE.
func CreateTable(endpoint, table string) error {
	c, err := Client(endpoint)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = c.Do(ctx, awsapi.DynamoDB, "CreateTable", map[string]any{
		"TableName":            table,
		"AttributeDefinitions": []map[string]string{{"AttributeName": "pk", "AttributeType": "S"}},
		"KeySchema":            []map[string]string{{"AttributeName": "pk", "KeyType": "HASH"}},
		"BillingMode":          "PAY_PER_REQUEST",
	}, nil)
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var out struct{ Table struct{ TableStatus string } }
		if err := c.Do(ctx, awsapi.DynamoDB, "DescribeTable", map[string]string{"TableName": table}, &out); err != nil {
			return fmt.Errorf("describe table %s: %w", table, err)
		}
		if out.Table.TableStatus == "ACTIVE" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("table %s still %s: %w", table, out.Table.TableStatus, ctx.Err())
		case <-tick.C:
		}
	}
}

// shared is the one dynalite of a test binary.
var shared struct {
	once     sync.Once
	endpoint string
	err      error
	stop     func()
	tables   atomic.Int64
}

// Endpoint returns the endpoint of the test binary's dynalite, starting it on first use. It
// fails the test, saying how to install dynalite, when it cannot start.
func Endpoint(t TB) string {
	t.Helper()
	shared.once.Do(func() { shared.endpoint, shared.stop, shared.err = Start() })
	if shared.err != nil {
		t.Fatalf("dynalite: %v", shared.err)
	}
	return shared.endpoint
}

// Table creates a table on the test binary's dynalite that no other test of the binary uses,
// and returns the endpoint and the table's name: tests that share state across processes (a
// budget, a dedup key, a card) get a clean ledger each.
func Table(t TB) (endpoint, table string) {
	t.Helper()
	endpoint = Endpoint(t)
	table = fmt.Sprintf("drpause-ledger-%d-%d", os.Getpid(), shared.tables.Add(1))
	if err := CreateTable(endpoint, table); err != nil {
		t.Fatalf("dynalite: %v", err)
	}
	return endpoint, table
}

// Stop stops the test binary's dynalite, if it was started; call it from TestMain after m.Run.
// Without it dynalite still exits with the test binary, whose end closes its standard input.
func Stop() {
	if shared.stop != nil {
		shared.stop()
	}
}
