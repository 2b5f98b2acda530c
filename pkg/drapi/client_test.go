package drapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// connCounter counts the connections a server accepts.
func connCounter(srv *httptest.Server) *atomic.Int32 {
	var n atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

func TestKeepAlive(t *testing.T) {
	// Successes and errors alternate, so both read paths must leave the connection reusable,
	// including an error body longer than what is read of it.
	gets := []answer{detail(StatusRunning), apiError(404, "DWS.10101"), detail(StatusStopping),
		{status: 400, body: strings.Repeat("x", maxErrorBody+maxDrain/2)}, detail(StatusStopped)}
	api := &fakeAPI{t: t, script: map[string][]answer{"GET": gets}, calls: map[string]int{}}
	srv := httptest.NewUnstartedServer(api)
	conns := connCounter(srv)
	srv.StartTLS()
	defer srv.Close()

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	// The package's own transport, trusting the test server's certificate.
	hc := &http.Client{Transport: newTransport(&tls.Config{RootCAs: pool}), CheckRedirect: defaultHTTPClient.CheckRedirect}
	defer hc.CloseIdleConnections()
	c, err := New(Config{ProjectID: testProject, Endpoint: srv.URL, Credentials: testCreds, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	c.maxAttempts = 1
	for i := range gets {
		if _, err := c.Get(context.Background(), testID); err != nil && i%2 == 0 {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := api.count("GET"); got != len(gets) {
		t.Errorf("got %d GETs; want %d", got, len(gets))
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("got %d connections for %d sequential calls; want 1", got, len(gets))
	}
}

func TestNew(t *testing.T) {
	cfg := func(edit func(*Config)) Config {
		c := Config{ProjectID: testProject, Region: "cn-north-4", Credentials: Credentials{AccessKey: "AK", SecretKey: "SK"}}
		edit(&c)
		return c
	}
	tests := []struct {
		name     string
		cfg      Config
		wantBase string // empty: New must fail
	}{
		{"region", cfg(func(*Config) {}), "https://dws.cn-north-4.myhuaweicloud.com"},
		{"other region", cfg(func(c *Config) { c.Region = "ap-southeast-1" }), "https://dws.ap-southeast-1.myhuaweicloud.com"},
		{"eu site", cfg(func(c *Config) { c.Region = "eu-west-101" }), "https://dws.eu-west-101.myhuaweicloud.eu"},
		{"endpoint overrides region", cfg(func(c *Config) { c.Endpoint = "https://dws.example.test/" }), "https://dws.example.test"},
		{"endpoint with path prefix", cfg(func(c *Config) { c.Endpoint = "https://gw.example.test/dws/" }), "https://gw.example.test/dws"},
		{"endpoint without region", cfg(func(c *Config) { c.Region, c.Endpoint = "", "https://dws.example.test" }), "https://dws.example.test"},
		{"http on 127.0.0.1", cfg(func(c *Config) { c.Endpoint = "http://127.0.0.1:8080" }), "http://127.0.0.1:8080"},
		{"http on 127.0.0.0/8", cfg(func(c *Config) { c.Endpoint = "http://127.9.8.7" }), "http://127.9.8.7"},
		{"http on ::1", cfg(func(c *Config) { c.Endpoint = "http://[::1]:9000" }), "http://[::1]:9000"},
		{"http on localhost", cfg(func(c *Config) { c.Endpoint = "http://LOCALHOST:9000" }), "http://LOCALHOST:9000"},
		{"http elsewhere", cfg(func(c *Config) { c.Endpoint = "http://dws.cn-north-4.myhuaweicloud.com" }), ""},
		{"http on a private address", cfg(func(c *Config) { c.Endpoint = "http://10.0.0.1" }), ""},
		{"http on a localhost look-alike", cfg(func(c *Config) { c.Endpoint = "http://localhost.example.com" }), ""},
		{"http on 0.0.0.0", cfg(func(c *Config) { c.Endpoint = "http://0.0.0.0:8080" }), ""},
		{"other scheme", cfg(func(c *Config) { c.Endpoint = "ftp://dws.example.test" }), ""},
		{"relative endpoint", cfg(func(c *Config) { c.Endpoint = "dws.example.test" }), ""},
		{"user info", cfg(func(c *Config) { c.Endpoint = "https://user:hunter2@dws.example.test" }), ""},
		{"query", cfg(func(c *Config) { c.Endpoint = "https://dws.example.test/?x=1" }), ""},
		{"region that changes the host", cfg(func(c *Config) { c.Region = "cn-north-4.evil.test/x" }), ""},
		{"no region nor endpoint", cfg(func(c *Config) { c.Region = "" }), ""},
		{"no project", cfg(func(c *Config) { c.ProjectID = "" }), ""},
		{"project that is a path", cfg(func(c *Config) { c.ProjectID = "p/../q" }), ""},
		{"no secret key", cfg(func(c *Config) { c.Credentials.SecretKey = "" }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantBase == "" {
				if err == nil {
					t.Fatalf("got a client for %s; want an error", c.base)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q leaks the endpoint's password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v; want a client", err)
			}
			if got := c.base.String(); got != tt.wantBase {
				t.Errorf("got endpoint %s; want %s", got, tt.wantBase)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := New(Config{ProjectID: testProject, Region: "cn-north-4", Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	if c.hc != defaultHTTPClient || c.userAgent != DefaultUserAgent || c.now == nil {
		t.Errorf("got client %p, user agent %q; want the shared default client and %q", c.hc, c.userAgent, DefaultUserAgent)
	}
	tr, ok := defaultHTTPClient.Transport.(*http.Transport)
	if !ok || tr.TLSHandshakeTimeout == 0 || tr.ResponseHeaderTimeout == 0 || tr.MaxIdleConnsPerHost < 2 {
		t.Errorf("default transport %+v lacks timeouts or idle connections", tr)
	}
	if err := defaultHTTPClient.CheckRedirect(nil, nil); !errors.Is(err, http.ErrUseLastResponse) {
		t.Errorf("default client follows redirects: %v", err)
	}
}

// TestConfigRedactsCredentials: a Config printed whole, as a configuration dump might, shows no
// secret; package aksk tests the other ways credentials get formatted, logged and encoded.
func TestConfigRedactsCredentials(t *testing.T) {
	cfg := Config{ProjectID: testProject, Credentials: Credentials{AccessKey: "AK-visible", SecretKey: "sk-must-not-show", SecurityToken: "token-must-not-show"}}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		out := fmt.Sprintf(verb, cfg)
		if strings.Contains(out, "must-not-show") {
			t.Errorf("%s: %s shows a secret", verb, out)
		}
		if !strings.Contains(out, "AK-visible") {
			t.Errorf("%s: %s hides the access key, which identifies the credentials", verb, out)
		}
	}
}
