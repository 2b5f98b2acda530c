package ledger_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/ledger"
	"github.com/dws-dr/drpause/pkg/ledger/ledgertest"
)

// TestDynamoDBUnavailable: whatever keeps the table from answering, every operation says the
// ledger is unreachable, names the table, and keeps the credentials out.
func TestDynamoDBUnavailable(t *testing.T) {
	// A loopback port nobody listens on any more.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name     string
		endpoint string
		table    string
		wantCode string // the DynamoDB error underneath, if any
	}{
		{name: "nothing listening", endpoint: closed, table: "drpause-ledger"},
		{name: "no such table", endpoint: dynaliteEndpoint(t), table: "no-such-table", wantCode: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			l := ledger.NewDynamoDB(newClient(t, tt.endpoint), tt.table)
			until := time.Now().Add(time.Hour)
			for op, err := range map[string]error{
				"Claim":   second(l.Claim(ctx, "k", "h", until)),
				"Mark":    second(l.Mark(ctx, "k", ledger.Void, "h", until)),
				"Release": l.Release(ctx, "k", "h"),
				"Get":     third(l.Get(ctx, "k")),
				"Reserve": second(l.Reserve(ctx, "b", []string{"x"}, 2, time.Minute)),
				"Ping":    l.Ping(ctx),
			} {
				if !errors.Is(err, ledger.ErrUnavailable) {
					t.Errorf("%s: got %v; want ErrUnavailable", op, err)
					continue
				}
				var u *ledger.UnavailableError
				if !errors.As(err, &u) || u.Ledger != "DynamoDB table "+tt.table {
					t.Errorf("%s: got %#v; want an *UnavailableError naming the table", op, err)
				}
				if !strings.HasPrefix(err.Error(), "the ledger (DynamoDB table "+tt.table+") is unreachable: ") {
					t.Errorf("%s: message %q", op, err)
				}
				if strings.Contains(err.Error(), ledgertest.Credentials.SecretAccessKey) || strings.Contains(err.Error(), ledgertest.Credentials.SessionToken) {
					t.Errorf("%s: a credential leaked: %v", op, err)
				}
				var apiErr *awsapi.Error
				if tt.wantCode != "" && (!errors.As(err, &apiErr) || apiErr.Code != tt.wantCode) {
					t.Errorf("%s: got %v; want %s underneath", op, err, tt.wantCode)
				}
			}
		})
	}
}

func third[T, U any](_ T, _ U, err error) error { return err }

func TestString(t *testing.T) {
	if got := ledger.NewMemory().String(); got != "memory" {
		t.Errorf("Memory: got %q", got)
	}
	if got := ledger.NewDynamoDB(nil, "t1").String(); got != "DynamoDB table t1" {
		t.Errorf("DynamoDB: got %q", got)
	}
}
