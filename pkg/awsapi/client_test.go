package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

var testCreds = Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-access-key-canary", SessionToken: "session-token-canary"}

// setup starts a server answering with h and a client whose every service goes to it.
func setup(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	return clientFor(t, srv), srv
}

// clientFor returns a client whose every service goes to the started server srv.
func clientFor(t *testing.T, srv *httptest.Server) *Client {
	t.Helper()
	t.Cleanup(srv.Close)
	c, err := New(Config{
		Region:      "us-east-1",
		Credentials: testCreds,
		Endpoints:   map[Service]string{DynamoDB: srv.URL, Lambda: srv.URL, SecretsManager: srv.URL + "/prefix/"},
		HTTPClient:  srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDoSendsJSONProtocol(t *testing.T) {
	var got struct {
		path, target, contentType string
		body                      map[string]any
	}
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		got.path, got.target, got.contentType = r.URL.Path, r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		fmt.Fprint(w, `{"Item":{"pk":{"S":"k"}}}`)
	})
	var out struct{ Item map[string]map[string]string }
	if err := c.Do(context.Background(), DynamoDB, "GetItem", map[string]string{"TableName": "t"}, &out); err != nil {
		t.Fatal(err)
	}
	if got.path != "/" || got.target != "DynamoDB_20120810.GetItem" || got.contentType != "application/x-amz-json-1.0" || got.body["TableName"] != "t" {
		t.Errorf("request: got %+v", got)
	}
	if out.Item["pk"]["S"] != "k" {
		t.Errorf("answer: got %+v", out)
	}

	// Secrets Manager speaks JSON 1.1, under the endpoint's path prefix.
	if _, err := c.GetSecretValue(context.Background(), "s"); err == nil {
		t.Fatal("GetSecretValue of an answer without SecretString: want an error")
	}
	if got.path != "/prefix/" || got.target != "secretsmanager.GetSecretValue" || got.contentType != "application/x-amz-json-1.1" || got.body["SecretId"] != "s" {
		t.Errorf("request: got %+v", got)
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     string // X-Amzn-ErrorType
		body       string
		wantCode   string
		wantMsg    string
		condFailed bool
		throttled  bool
	}{
		{
			name: "condition failed, namespaced __type", status: 400,
			body:     `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`,
			wantCode: "ConditionalCheckFailedException", wantMsg: "The conditional request failed", condFailed: true,
		},
		{
			name: "capital Message", status: 400,
			body:     `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","Message":"Requested resource not found"}`,
			wantCode: "ResourceNotFoundException", wantMsg: "Requested resource not found",
		},
		{
			name: "header wins over body, cut at ':'", status: 404, header: "ResourceNotFoundException:http://internal.amazon.com/coral/",
			body:     `{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:1:function:f"}`,
			wantCode: "ResourceNotFoundException", wantMsg: "Function not found: arn:aws:lambda:us-east-1:1:function:f",
		},
		{
			name: "code wins over __type", status: 400,
			body:     `{"code":"ThrottlingException","__type":"Other","message":"Rate exceeded"}`,
			wantCode: "ThrottlingException", wantMsg: "Rate exceeded", throttled: true,
		},
		{
			name: "throughput exceeded", status: 400,
			body:     `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}`,
			wantCode: "ProvisionedThroughputExceededException", throttled: true,
		},
		{name: "not JSON", status: 502, body: `<html>Bad Gateway</html>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("X-Amzn-ErrorType", tt.header)
				}
				w.Header().Set("X-Amzn-RequestId", "REQ-1")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			err := c.Do(context.Background(), DynamoDB, "PutItem", struct{}{}, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v (%T); want *Error", err, err)
			}
			if e.StatusCode != tt.status || e.Code != tt.wantCode || e.Message != tt.wantMsg || e.RequestID != "REQ-1" ||
				e.Service != DynamoDB || e.Operation != "PutItem" {
				t.Errorf("got %+v", e)
			}
			if got := errors.Is(err, ErrConditionFailed); got != tt.condFailed {
				t.Errorf("errors.Is(err, ErrConditionFailed) = %t; want %t", got, tt.condFailed)
			}
			if got := errors.Is(err, ErrThrottled); got != tt.throttled {
				t.Errorf("errors.Is(err, ErrThrottled) = %t; want %t", got, tt.throttled)
			}
		})
	}
}

// TestSecretsStayOut: signature errors quote the canonical request, session token included.
// Neither the token nor the secret key may reach an error, a log line or a formatted value.
func TestSecretsStayOut(t *testing.T) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		msg := "The request signature we calculated does not match. The Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:" +
			r.Header.Get("X-Amz-Security-Token") + "\n' key " + testCreds.SecretAccessKey + strings.Repeat(" pad", 200)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "InvalidSignatureException:" + testCreds.SessionToken, "message": msg})
	})
	err := c.Do(context.Background(), DynamoDB, "GetItem", struct{}{}, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "err", err, "creds", testCreds, "secret", SecretValue{String: "secret-string-canary"})
	cfgJSON, _ := json.Marshal(Config{Credentials: testCreds})
	for _, out := range []string{
		err.Error(), fmt.Sprintf("%+v %#v %v %s", err, err, testCreds, testCreds), fmt.Sprintf("%#v %+v", testCreds, SecretValue{String: "secret-string-canary"}),
		logs.String(), string(cfgJSON),
	} {
		for _, canary := range []string{testCreds.SecretAccessKey, testCreds.SessionToken, "secret-string-canary"} {
			if strings.Contains(out, canary) {
				t.Errorf("%q leaked into %q", canary, out)
			}
		}
	}
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "x-amz-security-token:[redacted]") || len(e.Message) > maxMessage+len("…") {
		t.Errorf("message: got %q (%d bytes)", e.Message, len(e.Message))
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var reached atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer elsewhere.Close()
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	})
	err := c.Do(context.Background(), DynamoDB, "PutItem", struct{}{}, nil)
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("got %v; want *Error with status 307", err)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests; want 0", n)
	}
}

func TestAnswerSizeIsCapped(t *testing.T) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"Item":%q}`, strings.Repeat("x", maxSuccessBody))
	})
	err := c.Do(context.Background(), DynamoDB, "GetItem", struct{}{}, &struct{}{})
	if err == nil || !strings.Contains(err.Error(), "answer larger than") {
		t.Fatalf("got %v; want an answer-too-large error", err)
	}
}

// TestConnectionIsReused: answers are read to the end, error answers longer than what is kept
// of them included, so one connection carries every call.
func TestConnectionIsReused(t *testing.T) {
	var calls, conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":"ValidationException","message":%q}`, strings.Repeat("m", maxErrorBody+maxDrain/2))
			return
		}
		fmt.Fprint(w, `{}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	c := clientFor(t, srv)
	for i := range 6 {
		err := c.Do(context.Background(), DynamoDB, "GetItem", struct{}{}, &struct{}{})
		if (i%2 == 0) != (err == nil) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("connections: got %d; want 1", n)
	}
}

func TestInvokeEvent(t *testing.T) {
	var got struct{ invocationType, contentType, body, path string }
	status := http.StatusAccepted
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		got.invocationType, got.contentType, got.body, got.path = r.Header.Get("X-Amz-Invocation-Type"), r.Header.Get("Content-Type"), b.String(), r.URL.Path
		w.WriteHeader(status)
	})
	if err := c.InvokeEvent(context.Background(), "drpause-pause", []byte(`{"job":1}`)); err != nil {
		t.Fatal(err)
	}
	if got.invocationType != "Event" || got.contentType != "application/octet-stream" || got.body != `{"job":1}` ||
		got.path != "/2015-03-31/functions/drpause-pause/invocations" {
		t.Errorf("request: got %+v", got)
	}

	// A synchronous answer means the event was not queued as asked.
	status = http.StatusOK
	var e *Error
	if err := c.InvokeEvent(context.Background(), "drpause-pause", nil); !errors.As(err, &e) || e.StatusCode != 200 {
		t.Errorf("200 answer: got %v; want *Error", err)
	}

	for _, name := range []string{"", "a/b", "f?x", "f#x", "f n", strings.Repeat("f", 257)} {
		if err := c.InvokeEvent(context.Background(), name, nil); err == nil {
			t.Errorf("function %q: want an error", name)
		}
	}
}

func TestTransportErrorNamesTheCall(t *testing.T) {
	c, srv := setup(t, func(w http.ResponseWriter, r *http.Request) {})
	srv.Close()
	err := c.Do(context.Background(), DynamoDB, "PutItem", struct{}{}, nil)
	var e *Error
	if err == nil || errors.As(err, &e) || !strings.HasPrefix(err.Error(), "DynamoDB PutItem: ") {
		t.Fatalf("got %v; want a transport error naming the call", err)
	}
}

func TestDoRefusesRESTService(t *testing.T) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no request expected") })
	if err := c.Do(context.Background(), Lambda, "Invoke", struct{}{}, nil); err == nil {
		t.Fatal("want an error")
	}
}
