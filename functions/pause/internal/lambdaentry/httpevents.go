package lambdaentry

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// recorder captures what the handler writes, for a buffered Lambda answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// Write sniffs a missing Content-Type as net/http's server does, so answers look the same in
// both modes.
func (r *recorder) Write(p []byte) (int, error) {
	if r.body.Len() == 0 && r.header.Get("Content-Type") == "" && len(p) > 0 {
		r.header.Set("Content-Type", http.DetectContentType(p))
	}
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// encodedBody returns the body as text when it is valid UTF-8, else as base64, as both event
// formats allow.
func (r *recorder) encodedBody() (string, bool) {
	if utf8.Valid(r.body.Bytes()) {
		return r.body.String(), false
	}
	return base64.StdEncoding.EncodeToString(r.body.Bytes()), true
}

// singleHeaders joins repeated values with commas, the way v2 events carry them; cookies are
// returned apart since a comma may be part of one.
func singleHeaders(h http.Header) (map[string]string, []string) {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if k == "Set-Cookie" {
			continue
		}
		out[k] = strings.Join(v, ",")
	}
	return out, h.Values("Set-Cookie")
}

// newRequest builds the request both HTTP event formats describe.
func newRequest(ctx context.Context, method, host, rawPath, rawQuery, body string, b64 bool) (*http.Request, error) {
	payload := []byte(body)
	if b64 {
		var err error
		if payload, err = base64.StdEncoding.DecodeString(body); err != nil {
			return nil, fmt.Errorf("decode base64 body: %w", err)
		}
	}
	if rawPath == "" {
		rawPath = "/"
	}
	u, err := url.ParseRequestURI(rawPath)
	if err != nil {
		return nil, fmt.Errorf("parse path: %w", err)
	}
	u.Scheme, u.Host, u.RawQuery = "https", host, rawQuery
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	return r, nil
}

// serveV2 serves a Function URL or HTTP API v2 event. Both answer with the same JSON shape.
func serveV2(ctx context.Context, h http.Handler, ev *events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	r, err := newRequest(ctx, ev.RequestContext.HTTP.Method, ev.Headers["host"], ev.RawPath, ev.RawQueryString, ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Body: "bad request\n"}
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	body, b64 := rec.encodedBody()
	headers, cookies := singleHeaders(rec.header)
	return events.LambdaFunctionURLResponse{StatusCode: rec.code(), Headers: headers, Body: body, IsBase64Encoded: b64, Cookies: cookies}
}

// serveV1 serves a REST API (v1 payload) event.
func serveV1(ctx context.Context, h http.Handler, ev *events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	query := url.Values{}
	for k, vs := range ev.MultiValueQueryStringParameters {
		query[k] = vs
	}
	for k, v := range ev.QueryStringParameters {
		if _, ok := query[k]; !ok {
			query.Set(k, v)
		}
	}
	host := ev.Headers["Host"]
	if host == "" {
		host = ev.Headers["host"]
	}
	r, err := newRequest(ctx, ev.HTTPMethod, host, ev.Path, query.Encode(), ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusBadRequest, Body: "bad request\n"}
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	for k, vs := range ev.MultiValueHeaders {
		r.Header.Del(k)
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	r.RemoteAddr = ev.RequestContext.Identity.SourceIP
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	body, b64 := rec.encodedBody()
	headers, _ := singleHeaders(rec.header)
	return events.APIGatewayProxyResponse{StatusCode: rec.code(), Headers: headers, MultiValueHeaders: rec.header, Body: body, IsBase64Encoded: b64}
}
