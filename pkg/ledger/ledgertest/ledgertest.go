// Package ledgertest runs dynalite, the DynamoDB-compatible server of the ledger's tests, for the
// tests of any package: the ledger's own contract tests, and the tests that run two product
// processes on one shared table. One dynalite serves a test binary, started by the first test
// that asks for it; `make test` installs it from pkg/ledger/testdata/dynalite with npm ci.
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
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/awsapi"
)

// Region is the region clients of the test dynalite sign for.
const Region = "us-east-1"

// Credentials are what clients of the test dynalite sign with: dynalite wants a signature but
// checks none. The secret parts are distinctive, so tests can look for them in what must not
// hold them.
var Credentials = awsapi.Credentials{
	AccessKeyID: "AKIDTEST", SecretAccessKey: "ledger-test-secret", SessionToken: "ledger-test-token",
}

var dynalite struct {
	once     sync.Once
	endpoint string
	err      error
	stop     func()
}

// Endpoint returns the endpoint of the test binary's dynalite, starting it on first use. It
// fails the test, saying how to install it, when dynalite is not installed.
func Endpoint(t testing.TB) string {
	t.Helper()
	dynalite.once.Do(func() {
		dynalite.endpoint, dynalite.stop, dynalite.err = start()
	})
	if dynalite.err != nil {
		t.Fatalf("dynalite: %v", dynalite.err)
	}
	return dynalite.endpoint
}

// Stop stops dynalite if it was started; call it from TestMain after m.Run. Without it dynalite
// still exits with the test binary, whose end closes its standard input.
func Stop() {
	if dynalite.stop != nil {
		dynalite.stop()
	}
}

var tables atomic.Int64

// NewTable creates a table at endpoint no other test of this binary uses, as the deployment
// creates the ledger's, and returns its name. Tests that share state across processes (a budget,
// a dedup key) get a clean table each.
func NewTable(t testing.TB, endpoint string) string {
	t.Helper()
	name := fmt.Sprintf("drpause-ledger-%d-%d", os.Getpid(), tables.Add(1))
	if err := CreateTable(endpoint, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// Client returns an awsapi client for DynamoDB at endpoint with a transport of its own, as
// another instance of the product would have.
func Client(t testing.TB, endpoint string) *awsapi.Client {
	t.Helper()
	c, err := client(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func client(endpoint string) (*awsapi.Client, error) {
	return awsapi.New(awsapi.Config{
		Region:      Region,
		Credentials: Credentials,
		Endpoints:   map[awsapi.Service]string{awsapi.DynamoDB: endpoint},
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
	})
}

// dir is where dynalite is installed: pkg/ledger/testdata/dynalite, found from this file, since
// the tests of every package run in their own directory.
func dir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", errors.New("cannot locate pkg/ledger/testdata/dynalite (built with -trimpath?)")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "dynalite"), nil
}

func start() (endpoint string, stop func(), err error) {
	d, err := dir()
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(filepath.Join(d, "node_modules", "dynalite", "package.json")); err != nil {
		return "", nil, fmt.Errorf("not installed in pkg/ledger/testdata/dynalite: run `make test`, which installs it with npm ci " +
			"(or: npm ci --prefix pkg/ledger/testdata/dynalite --ignore-scripts)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", nil, errors.New("node not found: the ledger's tests need Node.js >= 20 to run dynalite")
	}
	cmd := exec.Command(node, "serve.js")
	cmd.Dir = d
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
			return "", nil, errors.New("serve.js did not print its port")
		}
		return fmt.Sprintf("http://127.0.0.1:%d", h.Port), stop, nil
	case <-exited:
		return "", nil, errors.New("serve.js exited before listening")
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("serve.js did not listen within 30s")
	}
}

// CreateTable creates table at endpoint as the deployment does (interface.md: partition key pk,
// no sort key), then waits, polling with a deadline, until dynalite says it is ACTIVE.
func CreateTable(endpoint, table string) error {
	c, err := client(endpoint)
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
