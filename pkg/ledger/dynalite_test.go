package ledger_test

import (
	"os"
	"sync"
	"testing"

	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/ledger/ledgertest"
)

// The tests of DynamoDB run against dynalite (package ledgertest), a DynamoDB-compatible server
// from npm pinned by testdata/dynalite/package-lock.json, which `make test` installs with npm
// ci. One dynalite serves the whole test binary, started by the first test that needs it and
// stopped by TestMain, with one table: every test makes its keys unique instead.

const testTable = "drpause-ledger-test"

var table struct {
	once sync.Once
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	ledgertest.Stop()
	os.Exit(code)
}

// dynaliteEndpoint returns the endpoint of the shared dynalite, with testTable created. It
// fails the test, saying how to install it, when dynalite is not installed.
func dynaliteEndpoint(t testing.TB) string {
	t.Helper()
	endpoint := ledgertest.Endpoint(t)
	table.once.Do(func() { table.err = ledgertest.CreateTable(endpoint, testTable) })
	if table.err != nil {
		t.Fatalf("dynalite: %v", table.err)
	}
	return endpoint
}

// newClient returns an awsapi client for DynamoDB at endpoint with a transport of its own, as
// another instance of the product would have.
func newClient(t testing.TB, endpoint string) *awsapi.Client {
	t.Helper()
	c, err := ledgertest.Client(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
