package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "drpause/1 (awsapi)"

const (
	maxErrorBody   = 64 << 10 // error answers are short JSON
	maxSuccessBody = 1 << 20  // a 400 KB DynamoDB item or a 64 KB secret fits with room to spare
	maxDrain       = 64 << 10 // past this, closing the connection is cheaper than reading on
	maxMessage     = 512      // bytes of an error message kept; signature errors quote whole requests
)

// Config says where and as whom to call AWS.
type Config struct {
	Region      string
	Credentials Credentials
	// Endpoints overrides the endpoint of a service, e.g. "http://127.0.0.1:8000" for a local
	// DynamoDB-compatible server; a path prefix is kept. Plain http:// is accepted only for
	// loopback hosts. A service not listed goes to https://{service}.{region}.amazonaws.com
	// (.amazonaws.com.cn in China, and so on per partition).
	Endpoints map[Service]string
	// HTTPClient carries every call; share one, so warm functions reuse connections. Its
	// redirects are turned off for this package's calls whatever its CheckRedirect says. Nil
	// means a shared client of this package with keep-alive and timeouts.
	HTTPClient *http.Client
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// Client calls DynamoDB, Lambda and Secrets Manager in one region. It is safe for concurrent use.
type Client struct {
	region    string
	creds     aws.Credentials
	endpoints map[Service]*url.URL
	hc        *http.Client
	signer    *v4.Signer
	userAgent string
	now       func() time.Time
}

// defaultHTTPClient is shared by every Client built without Config.HTTPClient.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	},
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if !validRegion(cfg.Region) {
		return nil, errors.New("awsapi: config: region must be a region name such as us-east-1")
	}
	// Only say which part is missing: the values are secrets.
	if cfg.Credentials.AccessKeyID == "" || cfg.Credentials.SecretAccessKey == "" {
		return nil, errors.New("awsapi: config: access key id and secret access key are required")
	}
	c := &Client{
		region: cfg.Region,
		creds: aws.Credentials{
			AccessKeyID:     cfg.Credentials.AccessKeyID,
			SecretAccessKey: cfg.Credentials.SecretAccessKey,
			SessionToken:    cfg.Credentials.SessionToken,
		},
		endpoints: make(map[Service]*url.URL, len(services)),
		signer:    v4.NewSigner(),
		userAgent: cfg.UserAgent,
		now:       cfg.Now,
	}
	for s, spec := range services {
		raw, ok := cfg.Endpoints[s]
		if !ok {
			raw = defaultEndpoint(spec.prefix, cfg.Region)
		}
		u, err := parseEndpoint(raw)
		if err != nil {
			return nil, fmt.Errorf("awsapi: config: %s %w", s, err)
		}
		c.endpoints[s] = u
	}
	for s := range cfg.Endpoints {
		if _, ok := services[s]; !ok {
			return nil, fmt.Errorf("awsapi: config: unknown service %.32q", s)
		}
	}
	hc := defaultHTTPClient
	if cfg.HTTPClient != nil {
		hc = cfg.HTTPClient
	}
	// A copy shares the caller's transport, and so its connections, with redirects off: a
	// redirect would carry X-Amz-Security-Token to wherever it points, and AWS APIs never
	// redirect a signed call.
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &noRedirect
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Endpoint returns the endpoint calls to s go to, for messages and checks.
func (c *Client) Endpoint(s Service) string {
	if u, ok := c.endpoints[s]; ok {
		return u.String()
	}
	return ""
}

// Region returns the region the client signs for.
func (c *Client) Region() string { return c.region }

// DynamoDB sends one DynamoDB operation (PutItem, GetItem, …): Do for the DynamoDB service.
func (c *Client) DynamoDB(ctx context.Context, op string, in, out any) error {
	return c.Do(ctx, DynamoDB, op, in, out)
}

// Do calls operation op of a JSON-protocol service (DynamoDB, SecretsManager) with in encoded as
// JSON, and decodes the answer into out unless out is nil. An error answer is *Error.
func (c *Client) Do(ctx context.Context, s Service, op string, in, out any) error {
	spec, ok := services[s]
	if !ok || spec.jsonVersion == "" {
		return fmt.Errorf("awsapi: %.32q is not a JSON-protocol service", s)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: encode: %w", s, op, err)
	}
	u := *c.endpoints[s]
	u.Path += "/"
	req, err := c.newRequest(ctx, http.MethodPost, &u, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", s, op, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-"+spec.jsonVersion)
	req.Header.Set("X-Amz-Target", spec.target+"."+op)
	return c.send(req, body, s, op, http.StatusOK, out)
}

// newRequest builds an unsigned request with the headers every call carries.
func (c *Client) newRequest(ctx context.Context, method string, u *url.URL, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// sign signs req, whose body is body, as the SDK does: SigV4 over the SHA-256 of the payload,
// with the session token in X-Amz-Security-Token, at time t.
func (c *Client) sign(req *http.Request, body []byte, signingName string, t time.Time) error {
	sum := sha256.Sum256(body)
	return c.signer.SignHTTP(req.Context(), c.creds, req, hex.EncodeToString(sum[:]), signingName, c.region, t)
}

// send signs req, sends it once, and reads the answer: into out when its status is want,
// into *Error otherwise.
func (c *Client) send(req *http.Request, body []byte, s Service, op string, want int, out any) error {
	if err := c.sign(req, body, services[s].prefix, c.now()); err != nil {
		return fmt.Errorf("%s %s: sign: %w", s, op, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", s, op, err)
	}
	defer func() {
		// Reading the rest lets the transport reuse the connection.
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		resp.Body.Close()
	}()
	if resp.StatusCode != want {
		return c.readError(resp, s, op)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSuccessBody+1))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", s, op, err)
	}
	if len(data) > maxSuccessBody {
		return fmt.Errorf("%s %s: answer larger than %d bytes", s, op, maxSuccessBody)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", s, op, err)
	}
	return nil
}
