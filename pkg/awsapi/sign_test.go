package awsapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sdkCredentials are the credentials of the SDK's signer tests: testCredentials in
// aws/signer/v4/v4_test.go and unit.StubCredentialsProvider in internal/awstesting/unit/unit.go.
var sdkCredentials = Credentials{AccessKeyID: "AKID", SecretAccessKey: "SECRET", SessionToken: "SESSION"}

func sdkVectorClient(t *testing.T, region string) *Client {
	t.Helper()
	c, err := New(Config{Region: region, Credentials: sdkCredentials})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The expected signatures below are the SDK's own, from aws-sdk-go-v2 v1.48.0
// aws/signer/v4/v4_test.go (TestSignRequest) and aws/signer/v4/functional_test.go
// (TestStandaloneSign, standaloneSignCases[0]). Each request is built as the SDK's test builds it
// and signed through Client.sign, the step every call of this package goes through; a change in
// how the payload is hashed, the credentials passed, the region or time used would break them.

func TestSignMatchesSDKVectorSignRequest(t *testing.T) {
	c := sdkVectorClient(t, "us-east-1")
	// buildRequest("dynamodb", "us-east-1", "{}") of v4_test.go, with TestSignRequest's headers.
	body := []byte("{}")
	req, err := http.NewRequest("POST", "https://dynamodb.us-east-1.amazonaws.com", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = "//example.org/bucket/key-._~,!@#$%^&*()"
	req.Header.Set("X-Amz-Target", "prefix.Operation")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.ContentLength = int64(len(body))
	req.Header.Set("X-Amz-Meta-Other-Header", "some-value=!@#$%^&* (+)")
	req.Header.Add("X-Amz-Meta-Other-Header_With_Underscore", "some-value=!@#$%^&* (+)")
	req.Header.Add("X-amz-Meta-Other-Header_With_Underscore", "some-value=!@#$%^&* (+)")
	req.Header.Set("User-Agent", "foo")
	req.Header.Set("X-Amzn-Trace-Id", "bar")
	req.Header.Set("Expect", "baz")
	req.Header.Set("Transfer-Encoding", "qux")

	if err := c.sign(req, body, "dynamodb", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	const want = "AWS4-HMAC-SHA256 Credential=AKID/19700101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-meta-other-header;x-amz-meta-other-header_with_underscore;x-amz-security-token;x-amz-target, Signature=a518299330494908a70222cec6899f6f32f297f8595f6df1776d998936652ad9"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
	if got, want := req.Header.Get("X-Amz-Date"), "19700101T000000Z"; got != want {
		t.Errorf("X-Amz-Date: got %s; want %s", got, want)
	}
}

func TestSignMatchesSDKVectorStandalone(t *testing.T) {
	c := sdkVectorClient(t, "us-west-2")
	// standaloneSignCases[0]: GET https://hostname-clusterkey.us-west-2.es.amazonaws.com/logs-*/_search?pretty=true,
	// no body. Built by newRequest, the constructor of every request of this package.
	u, err := url.Parse("https://hostname-clusterkey.us-west-2.es.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	u.Path, u.RawQuery = "/logs-*/_search", "pretty=true"
	req, err := c.newRequest(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.sign(req, nil, "es", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	const want = "AWS4-HMAC-SHA256 Credential=AKID/19700101/us-west-2/es/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=79d0760751907af16f64a537c1242416dacf51204a7dd5284492d15577973b91"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
	if got, want := req.URL.EscapedPath(), "/logs-%2A/_search"; got != want {
		t.Errorf("escaped path: got %s; want %s", got, want)
	}
}

// sigV4Server is an AWS endpoint that checks every request's signature the way a service does:
// from what arrived on the wire (method, escaped path, query, the headers named in
// SignedHeaders, the body), re-signed at the request's X-Amz-Date with the SDK's signer.
type sigV4Server struct {
	*httptest.Server
	creds   Credentials
	region  string
	service string // signing name

	mu     sync.Mutex
	checks []error // one per request, nil when the signature matched
	last   *http.Request
	body   []byte
}

func newSigV4Server(t *testing.T, creds Credentials, region, service string, answer http.HandlerFunc) *sigV4Server {
	s := &sigV4Server{creds: creds, region: region, service: service}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := s.verify(r, body)
		s.mu.Lock()
		s.checks = append(s.checks, err)
		s.last, s.body = r, body
		s.mu.Unlock()
		if err != nil {
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"message":%q}`, err.Error())
			return
		}
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sigV4Server) verify(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return errors.New("no SigV4 Authorization header")
	}
	var signed []string
	for part := range strings.SplitSeq(strings.TrimPrefix(auth, algo), ", ") {
		if v, ok := strings.CutPrefix(part, "SignedHeaders="); ok {
			signed = strings.Split(v, ";")
		}
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("X-Amz-Date: %v", err)
	}
	if r.Header.Get("X-Amz-Security-Token") != s.creds.SessionToken {
		return errors.New("X-Amz-Security-Token does not match")
	}
	re, err := http.NewRequest(r.Method, "http://"+r.Host+r.RequestURI, nil)
	if err != nil {
		return err
	}
	for _, h := range signed {
		switch h {
		case "host", "content-length", "x-amz-date", "x-amz-security-token":
			// host and content-length come from the request line and ContentLength; the signer
			// sets the other two itself.
		default:
			re.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	re.ContentLength = r.ContentLength
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretAccessKey, SessionToken: s.creds.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, re, hex.EncodeToString(sum[:]), s.service, s.region, at); err != nil {
		return err
	}
	if got, want := auth, re.Header.Get("Authorization"); got != want {
		return fmt.Errorf("signature mismatch:\n got %s\nwant %s", got, want)
	}
	return nil
}

func (s *sigV4Server) lastRequest() (*http.Request, []byte, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.body, s.checks
}

func TestSignatureVerifiesOnTheWire(t *testing.T) {
	creds := Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SessionToken: "IQoJb3JpZ2luX2VjE/token+with/odd=chars"}
	tests := []struct {
		name    string
		service Service
		signAs  string
		call    func(c *Client) error
		path    string
		target  string
	}{
		{
			name: "DynamoDB GetItem", service: DynamoDB, signAs: "dynamodb", path: "/", target: "DynamoDB_20120810.GetItem",
			call: func(c *Client) error {
				return c.Do(context.Background(), DynamoDB, "GetItem", map[string]any{"TableName": "t", "Key": map[string]any{"pk": map[string]string{"S": "a b/ü"}}}, nil)
			},
		},
		{
			name: "Secrets Manager GetSecretValue", service: SecretsManager, signAs: "secretsmanager", path: "/", target: "secretsmanager.GetSecretValue",
			call: func(c *Client) error {
				_, err := c.GetSecretValue(context.Background(), "arn:aws:secretsmanager:eu-west-1:123456789012:secret:drpause-AbCdEf")
				return err
			},
		},
		{
			name: "Lambda Invoke by ARN", service: Lambda, signAs: "lambda",
			path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Adrpause-pause%3A%24LATEST/invocations",
			call: func(c *Client) error {
				return c.InvokeEvent(context.Background(), "arn:aws:lambda:eu-west-1:123456789012:function:drpause-pause:$LATEST", []byte(`{"job":"j1"}`))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSigV4Server(t, creds, "eu-west-1", tt.signAs, func(w http.ResponseWriter, r *http.Request) {
				if tt.service == Lambda {
					w.WriteHeader(http.StatusAccepted)
					return
				}
				fmt.Fprint(w, `{"SecretString":"{}","VersionId":"v1"}`)
			})
			c, err := New(Config{
				Region:      "eu-west-1",
				Credentials: creds,
				Endpoints:   map[Service]string{tt.service: srv.URL},
				// A second past a minute boundary, far from now: the server takes the signing
				// time from X-Amz-Date, as AWS does within its 5-minute skew.
				Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 1, 0, time.UTC) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			r, _, checks := srv.lastRequest()
			if len(checks) != 1 || checks[0] != nil {
				t.Fatalf("server checks: %v", checks)
			}
			if got := r.URL.EscapedPath(); got != tt.path {
				t.Errorf("path: got %s; want %s", got, tt.path)
			}
			if got := r.Header.Get("X-Amz-Target"); got != tt.target && tt.service != Lambda {
				t.Errorf("X-Amz-Target: got %q; want %q", got, tt.target)
			}
		})
	}
}

// TestSignatureVerifierRejects keeps the verifier above honest: a request signed with another
// secret must fail it.
func TestSignatureVerifierRejects(t *testing.T) {
	creds := Credentials{AccessKeyID: "AKID", SecretAccessKey: "right"}
	srv := newSigV4Server(t, creds, "us-east-1", "dynamodb", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "{}") })
	c, err := New(Config{Region: "us-east-1", Credentials: Credentials{AccessKeyID: "AKID", SecretAccessKey: "wrong"},
		Endpoints: map[Service]string{DynamoDB: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), DynamoDB, "GetItem", struct{}{}, nil)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Code != "InvalidSignatureException" {
		t.Fatalf("got %v; want an InvalidSignatureException", err)
	}
}
