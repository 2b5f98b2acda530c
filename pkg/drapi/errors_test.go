package drapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestErrorBodies(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 2*maxMessage)
	tests := []struct {
		name string
		ans  answer
		want Error
	}{
		{"dws error", answer{status: 400, body: `{"error_code":"DWS.0001","error_msg":"bad parameter"}`},
			Error{HTTPStatus: 400, Code: "DWS.0001", Message: "bad parameter"}},
		{"code and message", answer{status: 403, body: `{"code":"IAM.0002","message":"forbidden"}`},
			Error{HTTPStatus: 403, Code: "IAM.0002", Message: "forbidden"}},
		{"numeric code", answer{status: 400, body: `{"code":400,"message":"bad"}`},
			Error{HTTPStatus: 400, Code: "400", Message: "bad"}},
		{"nested error", answer{status: 401, body: `{"error":{"code":"APIG.0301","message":"token invalid"}}`},
			Error{HTTPStatus: 401, Code: "APIG.0301", Message: "token invalid"}},
		{"error_code wins over code", answer{status: 400, body: `{"error_code":"DWS.0001","error_msg":"a","code":"X","message":"b"}`},
			Error{HTTPStatus: 400, Code: "DWS.0001", Message: "a"}},
		{"gateway request id in body", answer{status: 429, body: `{"error_code":"APIG.0308","error_msg":"throttled","request_id":"body-id"}`, header: map[string]string{"X-Request-Id": ""}},
			Error{HTTPStatus: 429, Code: "APIG.0308", Message: "throttled", RequestID: "body-id"}},
		{"raw text trimmed and on one line", answer{status: 502, body: "\n  Bad\n\tGateway  \n"},
			Error{HTTPStatus: 502, Message: "Bad Gateway"}},
		{"json without a code", answer{status: 400, body: `{"error":"nope"}`},
			Error{HTTPStatus: 400, Message: `{"error":"nope"}`}},
		{"raw body capped", answer{status: 400, body: long},
			Error{HTTPStatus: 400, Message: long[:maxMessage] + "..."}},
		{"empty body", answer{status: 404}, Error{HTTPStatus: 404}},
		{"retry-after seconds", answer{status: 503, body: "busy", header: map[string]string{"Retry-After": "7"}},
			Error{HTTPStatus: 503, Message: "busy", RetryAfter: 7 * time.Second}},
		{"retry-after date", answer{status: 503, body: "busy", header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}},
			Error{HTTPStatus: 503, Message: "busy", RetryAfter: 90 * time.Second}},
		{"retry-after garbage", answer{status: 503, body: "busy", header: map[string]string{"Retry-After": "soon"}},
			Error{HTTPStatus: 503, Message: "busy"}},
		{"redirect is not followed", answer{status: 302, header: map[string]string{"Location": "https://example.com/"}},
			Error{HTTPStatus: 302}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, map[string][]answer{"GET": {tt.ans}})
			c.maxAttempts = 1
			c.now = func() time.Time { return now }
			_, err := c.Get(context.Background(), testID)
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("got %v; want *Error", err)
			}
			want := tt.want
			want.Attempts = 1
			if want.RequestID == "" {
				want.RequestID = "GET-1"
			}
			if *got != want {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestErrorsIs(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrThrottled, ErrAuth, ErrRefused, ErrBusy, ErrStatusNotAllowed}
	tests := []struct {
		status int
		code   string
		want   []error // the sentinels err must match; no others
	}{
		{400, "DWS.10101", []error{ErrNotFound}},
		{401, "DWS.0047", []error{ErrNotFound}},
		{403, "DWS.0015", []error{ErrNotFound}},
		{400, "DWS.0015", []error{ErrNotFound}},
		{404, "DWS.3027", []error{ErrNotFound}},
		{404, "APIG.0101", []error{ErrNotFound}},
		{400, "DWS.0001", []error{ErrRefused}},
		{400, "DWS.4242", []error{ErrRefused}},
		{409, "", []error{ErrRefused}},
		{409, "DWS.0011", []error{ErrRefused, ErrBusy}},
		{500, "DWS.9999", nil},
		{401, "APIGW.0301", []error{ErrAuth}},
		{401, "APIG.0301", []error{ErrAuth}},
		{403, "APIGW.0302", []error{ErrAuth}},
		{400, "APIG.0307", []error{ErrAuth}},
		{403, "IAM.0002", []error{ErrAuth}},
		{403, "", []error{ErrAuth}},
		{429, "APIG.0308", []error{ErrThrottled}},
		{400, "APIG.0308", []error{ErrThrottled}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.code), func(t *testing.T) {
			ans := apiError(tt.status, tt.code)
			if tt.status == 429 {
				ans.header = map[string]string{"Retry-After": "3"}
			}
			c, _ := newTestClient(t, map[string][]answer{"GET": {ans}})
			c.maxAttempts = 1
			_, err := c.Get(context.Background(), testID)
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != slices.Contains(tt.want, s) {
					t.Errorf("errors.Is(%v, %v) = %t; want %t", err, s, got, !got)
				}
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v; want an *Error", err)
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status {
				t.Errorf("got %d %q; want %d %q", e.HTTPStatus, e.Code, tt.status, tt.code)
			}
			if tt.status == 429 && e.RetryAfter != 3*time.Second {
				t.Errorf("got RetryAfter %v; want 3s", e.RetryAfter)
			}
		})
	}
}

// TestRequestIDOfASuccessIsShowable: the X-Request-Id of a 2xx ends up in Outcome and in Slack
// messages just like that of an error answer, so it is cut to the same size.
func TestRequestIDOfASuccessIsShowable(t *testing.T) {
	long := strings.Repeat("r", 3*maxRequestID)
	ans := detail(StatusStopped)
	ans.header = map[string]string{"X-Request-Id": "  " + long}
	c, _ := newTestClient(t, map[string][]answer{"GET": {ans}})
	out, err := c.PauseAndFollow(context.Background(), testID, FollowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := long[:maxRequestID] + "..."; out.RequestID != want {
		t.Errorf("got request id %q (%d bytes); want it trimmed and cut to %d bytes", out.RequestID, len(out.RequestID), maxRequestID)
	}
}
