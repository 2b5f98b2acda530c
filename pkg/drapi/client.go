package drapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	Endpoint    string
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
	maxAttempts    int           // sends of one GET, or of a throttled pause, before giving up
	attemptTimeout time.Duration // bound of one send, on top of the caller's context
	backoffBase    time.Duration // first wait between retries, doubled each time
	backoffMax     time.Duration // cap of the doubling
	retryAfterMax  time.Duration // cap of a server's Retry-After
	wait           func(ctx context.Context, d time.Duration) error
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

// New checks cfg and returns a Client. It needs a project id, both keys, and a region or an
// endpoint; it refuses endpoints a signed request should not go to (see Config.Endpoint).
func New(cfg Config) (*Client, error) {
	if !validProjectID(cfg.ProjectID) {
		return nil, errors.New("drapi: config: project id must be 1 to 64 letters, digits, '-' or '_'")
	}
	// Only say which part is missing: the values are secrets.
	if cfg.Credentials.AccessKey == "" || cfg.Credentials.SecretKey == "" {
		return nil, errors.New("drapi: config: access key and secret key are required")
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

// endpointFor derives the DWS endpoint of a region.
func endpointFor(region string) string {
	if region == "eu-west-101" {
		return "https://dws.eu-west-101.myhuaweicloud.eu"
	}
	return "https://dws." + region + ".myhuaweicloud.com"
}

// endpointURL parses the endpoint, or derives it from region, and refuses anything a signed
// request should not be sent to.
func endpointURL(endpoint, region string) (*url.URL, error) {
	if endpoint == "" {
		if region == "" {
			return nil, errors.New("drapi: config: region or endpoint is required")
		}
		if !validRegion(region) {
			return nil, fmt.Errorf("drapi: config: invalid region %.64q", region)
		}
		endpoint = endpointFor(region)
	}
	// The parse error is not wrapped: it would quote the endpoint, credentials in it included.
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, errors.New("drapi: config: endpoint is not an absolute URL")
	}
	if u.User != nil {
		return nil, errors.New("drapi: config: endpoint must not carry user info")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("drapi: config: endpoint must not carry a query or fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("drapi: config: endpoint %s: plain http is allowed only for loopback hosts", u.Host)
		}
	default:
		return nil, fmt.Errorf("drapi: config: endpoint scheme %.16q: want https", u.Scheme)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Get returns the detail of DR task id (ShowDisasterDetail).
func (c *Client) Get(ctx context.Context, id string) (*Detail, error) {
	d, _, err := c.get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get disaster recovery %.64q: %w", id, err)
	}
	return d, nil
}

// get is Get that also returns the answer's X-Request-Id, for Outcome.
func (c *Client) get(ctx context.Context, id string) (*Detail, string, error) {
	if err := ValidateID(id); err != nil {
		return nil, "", err
	}
	var body struct {
		DR *Detail `json:"disaster_recovery"`
	}
	reqID, err := c.retryGET(ctx, c.drPath(id), nil, &body)
	if err != nil {
		return nil, reqID, err
	}
	if body.DR == nil {
		return nil, reqID, fmt.Errorf("%w: no disaster_recovery object", errMalformed)
	}
	return body.DR, reqID, nil
}

// List returns the project's DR tasks matching f (ListDisasterRecover).
func (c *Client) List(ctx context.Context, f ListFilter) ([]Summary, error) {
	q := url.Values{}
	for _, p := range []struct{ key, val string }{
		{"id", f.ID},
		{"primary_cluster_id", f.PrimaryClusterID},
		{"standby_cluster_id", f.StandbyClusterID},
	} {
		if p.val == "" {
			continue
		}
		// Cluster ids are UUIDs too; refusing anything else keeps odd input off the wire.
		if err := ValidateID(p.val); err != nil {
			return nil, fmt.Errorf("list disaster recoveries: %s %.64q: %w", p.key, p.val, err)
		}
		q.Set(p.key, p.val)
	}
	var body struct {
		// The documented key is singular although it holds an array.
		DR []Summary `json:"disaster_recovery"`
	}
	if _, err := c.retryGET(ctx, "/v2/"+c.projectID+"/disaster-recoveries", q, &body); err != nil {
		return nil, fmt.Errorf("list disaster recoveries: %w", err)
	}
	return body.DR, nil
}

// Pause sends the stop request for DR task id (PauseDisasterRecovery) and returns the id in the
// answer. A 200 means DWS accepted the request; the task then moves to stopping and stopped.
//
// Pause is never sent twice blindly. After throttling it is sent again, a bounded number of
// times. After an ambiguous failure (a timeout, a reset connection, a 5xx or an unreadable 2xx)
// the status is read back: if the task is stopping or stopped the pause took effect and Pause
// returns id; otherwise it returns the original error.
func (c *Client) Pause(ctx context.Context, id string) (string, error) {
	r, err := c.pause(ctx, id)
	if err != nil {
		return "", fmt.Errorf("pause disaster recovery %.64q: %w", id, err)
	}
	return r.id, nil
}

// pauseResult is what one Pause observed, for Outcome.
type pauseResult struct {
	id        string // the id the answer named, or the DR id when the status was read back
	requestID string // X-Request-Id of the last POST
	attempts  int    // POSTs sent
	status    Status // the status read back after an ambiguous failure; empty otherwise
}

func (c *Client) pause(ctx context.Context, id string) (pauseResult, error) {
	var r pauseResult
	if err := ValidateID(id); err != nil {
		return r, err
	}
	for {
		var body struct {
			DR struct {
				ID string `json:"id"`
			} `json:"disaster_recovery"`
		}
		r.attempts++
		reqID, err := c.send(ctx, http.MethodPost, c.drPath(id)+"/pause", nil, &body)
		r.requestID = reqID
		if err == nil && body.DR.ID == "" {
			err = fmt.Errorf("%w: no disaster_recovery id", errMalformed)
		}
		if err == nil {
			r.id = body.DR.ID
			return r, nil
		}
		if e := (*Error)(nil); errors.As(err, &e) {
			r.requestID = e.RequestID
		}
		// A throttled call never reached DWS, so sending it again is safe.
		if errors.Is(err, ErrThrottled) && r.attempts < c.maxAttempts && ctx.Err() == nil {
			if c.waitToRetry(ctx, r.attempts, err) == nil {
				continue
			}
		}
		if !ambiguous(err) || ctx.Err() != nil {
			return r, withAttempts(err, r.attempts)
		}
		d, _, gerr := c.get(ctx, id)
		if gerr != nil || d.Status != StatusStopping && d.Status != StatusStopped {
			return r, withAttempts(err, r.attempts)
		}
		r.id, r.status = id, d.Status
		return r, nil
	}
}

// drPath is the path of one DR task; id must have passed ValidateID.
func (c *Client) drPath(id string) string {
	return "/v2/" + c.projectID + "/disaster-recovery/" + id
}

// errMalformed marks a 2xx answer whose body is not what the API documents. After a pause it
// leaves open whether the pause took effect.
var errMalformed = errors.New("malformed response")

// transient reports whether err may go away by itself: throttling, a 5xx, or a transport failure.
func transient(err error) bool {
	if errors.Is(err, ErrThrottled) {
		return true
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.HTTPStatus >= 500
	}
	return !errors.Is(err, errMalformed)
}

// ambiguous reports whether a failed POST may have taken effect all the same.
func ambiguous(err error) bool {
	if errors.Is(err, ErrThrottled) {
		return false
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.HTTPStatus >= 500
	}
	// A transport failure, or a 2xx that could not be read: the request may have been acted on.
	return true
}

// retryGET sends a GET until it succeeds, fails for good, runs out of attempts or of context.
func (c *Client) retryGET(ctx context.Context, path string, q url.Values, out any) (string, error) {
	for attempt := 1; ; attempt++ {
		reqID, err := c.send(ctx, http.MethodGet, path, q, out)
		if err == nil {
			return reqID, nil
		}
		if !transient(err) || attempt >= c.maxAttempts || ctx.Err() != nil ||
			c.waitToRetry(ctx, attempt, err) != nil {
			return reqID, withAttempts(err, attempt)
		}
	}
}

// withAttempts records on err how many sends it took.
func withAttempts(err error, n int) error {
	if e := (*Error)(nil); errors.As(err, &e) {
		e.Attempts = n
		return err
	}
	if n > 1 {
		return fmt.Errorf("after %d attempts: %w", n, err)
	}
	return err
}

// waitToRetry waits before attempt+1: the server's Retry-After when it sent one, else a capped
// exponential backoff with jitter, so clients throttled together do not come back together.
// It returns an error, without waiting, when the context would end first.
func (c *Client) waitToRetry(ctx context.Context, attempt int, err error) error {
	d := c.backoffBase << min(attempt-1, 16)
	if d > c.backoffMax || d <= 0 {
		d = c.backoffMax
	}
	d = d/2 + rand.N(d/2+1)
	if e := (*Error)(nil); errors.As(err, &e) && e.RetryAfter > 0 {
		d = min(e.RetryAfter, c.retryAfterMax)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	return c.wait(ctx, d)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// send makes one signed call and decodes a 2xx JSON answer into out. It returns the answer's
// X-Request-Id, and an *Error for any other status.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, out any) (string, error) {
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
	if c.creds.SecurityToken != "" {
		req.Header.Set(headerSecurityToken, c.creds.SecurityToken)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	aksk.Sign(req, nil, c.creds, c.now())

	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds no secret: ids and project id only.
		return "", err
	}
	defer drainClose(resp.Body)
	reqID := resp.Header.Get(headerRequestID)

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

// Caps of the text fields of an error answer. maxMessage leaves room for an HTML error page's
// gist; DWS codes ("APIG.0308") and request ids (32 hex digits) are far shorter than theirs.
const (
	maxMessage   = 512
	maxCode      = 64
	maxRequestID = 128
)

// newError builds the *Error of a non-2xx answer. Like the SDK it reads error_code and error_msg,
// then code and message, then a nested {"error": {"code", "message"}}, then takes the raw body.
//
// Every text field comes from outside (DWS, a gateway, or whatever answered) and ends up in
// logs and Slack messages, so each is made showable; fuzzing found error_msg and the request
// id passed through uncapped, with newlines and invalid UTF-8.
func newError(resp *http.Response, body []byte, now time.Time) *Error {
	e := parseError(resp, body, now)
	e.Code = showable(e.Code, maxCode)
	e.Message = showable(e.Message, maxMessage)
	e.RequestID = showable(e.RequestID, maxRequestID)
	return e
}

// parseError is newError before its text fields are made showable.
func parseError(resp *http.Response, body []byte, now time.Time) *Error {
	e := &Error{
		HTTPStatus: resp.StatusCode,
		RequestID:  resp.Header.Get(headerRequestID),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		if e.RequestID == "" {
			e.RequestID = jsonString(fields["request_id"])
		}
		var nested map[string]json.RawMessage
		switch {
		case jsonString(fields["error_code"]) != "":
			e.Code, e.Message = jsonString(fields["error_code"]), jsonString(fields["error_msg"])
		case jsonString(fields["code"]) != "":
			e.Code, e.Message = jsonString(fields["code"]), jsonString(fields["message"])
		case json.Unmarshal(fields["error"], &nested) == nil && jsonString(nested["code"]) != "":
			e.Code, e.Message = jsonString(nested["code"]), jsonString(nested["message"])
		}
		if e.Code != "" {
			return e
		}
	}
	e.Message = string(body)
	return e
}

// jsonString reads a JSON string, or a number as its text; anything else reads as "".
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// showable makes outside text fit to show: valid UTF-8, one line without control characters (a
// newline could forge a log line or a line of a Slack message), trimmed, and cut after max bytes
// with "..." marking the cut.
func showable(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
