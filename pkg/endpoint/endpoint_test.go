package endpoint_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/pkg/endpoint"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string // the URL returned; "" when refused
		wantErr   error
	}{
		{name: "https", raw: "https://dws.cn-north-4.myhuaweicloud.com", want: "https://dws.cn-north-4.myhuaweicloud.com"},
		{name: "trailing slash dropped", raw: "https://slack.com/api/", want: "https://slack.com/api"},
		{name: "http to 127.0.0.1", raw: "http://127.0.0.1:8900", want: "http://127.0.0.1:8900"},
		{name: "http to localhost", raw: "http://LocalHost:8900/", want: "http://LocalHost:8900"},
		{name: "http to ::1", raw: "http://[::1]:8900", want: "http://[::1]:8900"},
		{name: "http elsewhere", raw: "http://10.0.0.1:8000", wantErr: endpoint.ErrPlainHTTP},
		{name: "http to a name that looks local", raw: "http://localhost.evil.example", wantErr: endpoint.ErrPlainHTTP},
		{name: "user info", raw: "https://user:canary@dws.example.test", wantErr: endpoint.ErrUserInfo},
		{name: "query", raw: "https://dws.example.test/?canary=1", wantErr: endpoint.ErrQuery},
		{name: "fragment", raw: "https://dws.example.test/#canary", wantErr: endpoint.ErrQuery},
		{name: "relative", raw: "dws.example.test/canary", wantErr: endpoint.ErrNotAbsolute},
		{name: "opaque", raw: "https:canary", wantErr: endpoint.ErrNotAbsolute},
		{name: "other scheme", raw: "ftp://dws.example.test", wantErr: endpoint.ErrScheme},
		{name: "unparsable", raw: "https://canary\x7f", wantErr: endpoint.ErrNotAbsolute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := endpoint.Parse(tt.raw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q): got error %v; want %v", tt.raw, err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "canary") {
					t.Errorf("Parse(%q): error %q quotes the URL", tt.raw, err)
				}
				return
			}
			if u.String() != tt.want {
				t.Errorf("Parse(%q): got %s; want %s", tt.raw, u, tt.want)
			}
		})
	}
}
