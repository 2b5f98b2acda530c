package alerts

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/dws-dr/drpause/bot/alerts/smntest"
)

// smnDouble is the SMN every test of this package reaches, under SMN's and the console's real
// host names: TestMain points SSL_CERT_FILE and HTTPS_PROXY at it before anything reads them,
// since Go reads both once per process. Nothing swaps the product's host rules or root pool.
var (
	smnDouble    *smntest.Server
	smnDoubleErr error
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	s, err := smntest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	if err := s.Setenv(); err != nil {
		if !errors.Is(err, smntest.ErrUnsupported) {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		smnDoubleErr = err
	}
	smnDouble = s
	return m.Run()
}

// SMNDouble returns the SMN double the process trusts and proxies to, or skips tb where Go
// cannot be made to trust it the standard way.
func SMNDouble(tb testing.TB) *smntest.Server {
	tb.Helper()
	if smnDoubleErr != nil {
		tb.Skip(smnDoubleErr)
	}
	return smnDouble
}
