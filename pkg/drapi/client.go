package drapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dws-dr/drpause/pkg/endpoint"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
)

// DefaultUserAgent is sent, and signed, when Config.UserAgent is empty.
const DefaultUserAgent = "drpause/1"

const (
	headerProjectID     = "X-Project-Id"
	headerSecurityToken = "X-Security-Token"
	headerRequestID     = "X-Request-Id"

	maxErrorBody   = 64 << 10 // error answers are short JSON; anything longer is not worth reading
	maxSuccessBody = 4 << 20  // a list of every DR task of a project fits many times over
	maxDrain       = 64 << 10 // past this, closing the connection is cheaper than reading on
)

// Credentials are the access key pair the client signs with. They redact themselves when
// formatted, logged or encoded as JSON.
type Credentials = aksk.Credentials

// Config describes one project's DWS endpoint and the credentials to call it with.
type Config struct {
	ProjectID string
	// Region is used to derive the endpoint when Endpoint is empty:
	// https://dws.{region}.myhuaweicloud.com, or .myhuaweicloud.eu for eu-west-101.
	Region string
	// Endpoint, e.g. "https://dws.cn-north-4.myhuaweicloud.com", overrides Region. It may carry
	// a path prefix. Plain http:// is accepted only for loopback hosts (tests, simulators).
	Endpoint string
	// Credentials sign every call whose context carries none of its own (see WithCredentials).
	// They may be left empty when every call brings its own; half a pair is refused.
	Credentials Credentials
	// HTTPClient, if nil, is a client of this package with keep-alive and timeouts that does not
	// follow redirects. A caller's client is used as given; it should be shared, so warm functions
	// reuse connections, and it should not follow redirects either: X-Security-Token would go with them.
	HTTPClient *http.Client
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// Now is the clock used for X-Sdk-Date; nil means time.Now.
	Now func() time.Time
}

// Client calls the DWS disaster-recovery API of one project. It is safe for concurrent use.
//
// Every call signs each send afresh and bounds it to 15 s on top of ctx. Reads (Get, List) are
// sent up to 4 times after throttling, a 5xx or a transport failure, waiting a jittered, capped
// exponential backoff or the server's Retry-After in between; errors from the API are *Error.
type Client struct {
	base      *url.URL // endpoint, without a trailing slash
	projectID string
	creds     Credentials
	hc        *http.Client
	userAgent string
	now       func() time.Time

	// Retry and timeout policy. Unexported so the API stays small; tests in this package shrink them.
	maxAttempts    int           // sends of one GET, or of a throttled pause or start, before giving up
	attemptTimeout time.Duration // bound of one send, on top of the caller's context
	backoffBase    time.Duration // first wait between retries, doubled each time
	backoffMax     time.Duration // cap of the doubling
	retryAfterMax  time.Duration // cap of a server's Retry-After
	wait           func(ctx context.Context, d time.Duration) error
}

// New checks cfg and returns a Client. It needs a project id, and a region or an endpoint; it
// refuses endpoints a signed request should not go to (see Config.Endpoint). Credentials hold
// both keys or neither.
func New(cfg Config) (*Client, error) {
	if !validProjectID(cfg.ProjectID) {
		return nil, errors.New("drapi: config: project id must be 1 to 64 letters, digits, '-' or '_'")
	}
	// Only say which part is missing: the values are secrets. Neither is fine: every call then
	// brings its own (WithCredentials).
	if (cfg.Credentials.AccessKey == "") != (cfg.Credentials.SecretKey == "") {
		return nil, errors.New("drapi: config: access key and secret key go together: give both or neither")
	}
	base, err := endpointURL(cfg.Endpoint, cfg.Region)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:           base,
		projectID:      cfg.ProjectID,
		creds:          cfg.Credentials,
		hc:             cfg.HTTPClient,
		userAgent:      cfg.UserAgent,
		now:            cfg.Now,
		maxAttempts:    4,
		attemptTimeout: 15 * time.Second,
		backoffBase:    time.Second,
		backoffMax:     8 * time.Second,
		retryAfterMax:  30 * time.Second,
		wait:           sleep,
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// validProjectID keeps the project id a single, plain path segment: 1 to 64 of A-Za-z0-9_-.
func validProjectID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isLowerAlnum(c) || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validRegion keeps a region a plain sequence of DNS labels joined by single hyphens
// (cn-north-4), so it cannot change the endpoint's host.
func validRegion(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// endpointFor derives the DWS endpoint of a region.
func endpointFor(region string) string {
	if region == "eu-west-101" {
		return "https://dws.eu-west-101.myhuaweicloud.eu"
	}
	return "https://dws." + region + ".myhuaweicloud.com"
}

// endpointURL parses the endpoint, or derives it from region, and refuses anything a signed
// request should not be sent to.
func endpointURL(configured, region string) (*url.URL, error) {
	if configured == "" {
		if region == "" {
			return nil, errors.New("drapi: config: region or endpoint is required")
		}
		if !validRegion(region) {
			return nil, fmt.Errorf("drapi: config: invalid region %.64q", region)
		}
		configured = endpointFor(region)
	}
	u, err := endpoint.Parse(configured)
	if err != nil {
		return nil, fmt.Errorf("drapi: config: endpoint: %w", err)
	}
	return u, nil
}

// defaultHTTPClient is shared by every Client built without Config.HTTPClient, so connections
// (and TLS sessions) survive from one call, and one warm function invocation, to the next.
var defaultHTTPClient = &http.Client{
	Transport: newTransport(nil),
	// A redirect would carry X-Security-Token to wherever it points; DWS never redirects.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// newTransport returns the transport of defaultHTTPClient; tests pass a TLS config that trusts
// their server, to check that this very transport keeps connections alive.
func newTransport(tlsConfig *tls.Config) *http.Transport {
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return &http.Transport{
		// Like http.DefaultTransport: functions behind an egress proxy need it.
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
}

// send makes one signed call and decodes a 2xx JSON answer into out. It returns the answer's
// X-Request-Id, and an *Error for any other status.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, out any) (string, error) {
	creds, err := c.credentials(ctx)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()

	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return "", err
	}
	// Everything set before Sign is signed, as the SDK does.
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set(headerProjectID, c.projectID)
	if creds.SecurityToken != "" {
		req.Header.Set(headerSecurityToken, creds.SecurityToken)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	aksk.Sign(req, nil, creds, c.now())

	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds no secret: ids and project id only.
		return "", err
	}
	defer drainClose(resp.Body)
	// Shown to users and logged, like the fields of an error answer.
	reqID := showable(resp.Header.Get(headerRequestID), maxRequestID)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return reqID, newError(resp, body, c.now())
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSuccessBody+1))
	if err != nil {
		return reqID, fmt.Errorf("read response: %w", err)
	}
	if len(body) > maxSuccessBody {
		return reqID, fmt.Errorf("%w: body larger than %d bytes", errMalformed, maxSuccessBody)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return reqID, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return reqID, nil
}

// drainClose reads what is left of a body, up to a cap, so the connection can be reused.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}
