package ledger_test

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
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/awsapi"
)

// The tests of DynamoDB run against dynalite, a DynamoDB-compatible server from npm pinned by
// testdata/dynalite/package-lock.json, which `make test` installs with npm ci. One dynalite
// serves the whole test binary: started by the first test that needs it, stopped by TestMain.

const (
	dynaliteDir = "testdata/dynalite"
	testTable   = "drpause-ledger-test"
)

var dynalite struct {
	once     sync.Once
	endpoint string
	err      error
	stop     func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dynalite.stop != nil {
		dynalite.stop()
	}
	os.Exit(code)
}

// dynaliteEndpoint returns the endpoint of the shared dynalite, with testTable created. It
// fails the test, saying how to install it, when dynalite is not installed.
func dynaliteEndpoint(t testing.TB) string {
	t.Helper()
	dynalite.once.Do(func() {
		dynalite.endpoint, dynalite.stop, dynalite.err = startDynalite()
		if dynalite.err == nil {
			dynalite.err = createTable(dynalite.endpoint, testTable)
		}
	})
	if dynalite.err != nil {
		t.Fatalf("dynalite: %v", dynalite.err)
	}
	return dynalite.endpoint
}

func startDynalite() (endpoint string, stop func(), err error) {
	if _, err := os.Stat(filepath.Join(dynaliteDir, "node_modules", "dynalite", "package.json")); err != nil {
		return "", nil, fmt.Errorf("not installed in %s: run `make test`, which installs it with npm ci "+
			"(or: npm ci --prefix pkg/ledger/%s --ignore-scripts)", dynaliteDir, dynaliteDir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", nil, errors.New("node not found: the ledger's tests need Node.js >= 20 to run dynalite")
	}
	cmd := exec.Command(node, "serve.js")
	cmd.Dir = dynaliteDir
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

// newClient returns an awsapi client for DynamoDB at endpoint with a transport of its own, as
// another instance of the product would have.
func newClient(t testing.TB, endpoint string) *awsapi.Client {
	t.Helper()
	c, err := clientFor(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func clientFor(endpoint string) (*awsapi.Client, error) {
	return awsapi.New(awsapi.Config{
		Region: "us-east-1",
		// dynalite wants a signature but checks none.
		Credentials: awsapi.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "ledger-test-secret", SessionToken: "ledger-test-token"},
		Endpoints:   map[awsapi.Service]string{awsapi.DynamoDB: endpoint},
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
	})
}

// createTable creates the table as the deployment does (interface.md: partition key pk, no sort
// key), then waits, polling with a deadline, until dynalite says it is ACTIVE.
func createTable(endpoint, table string) error {
	c, err := clientFor(endpoint)
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
		return fmt.Errorf("create table: %w", err)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var out struct{ Table struct{ TableStatus string } }
		if err := c.Do(ctx, awsapi.DynamoDB, "DescribeTable", map[string]string{"TableName": table}, &out); err != nil {
			return fmt.Errorf("describe table: %w", err)
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
