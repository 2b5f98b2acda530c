package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Sentinels to test errors with errors.Is.
var (
	// ErrConditionFailed: DynamoDB refused a write because its condition expression was false
	// (ConditionalCheckFailedException). Nothing was written.
	ErrConditionFailed = errors.New("awsapi: condition failed")
	// ErrThrottled: the service refused the call for its rate or capacity; it was not acted on.
	ErrThrottled = errors.New("awsapi: throttled")
)

// Error is an error answer of an AWS service.
type Error struct {
	Service    Service
	Operation  string // e.g. "PutItem", "GetSecretValue", "Invoke"
	StatusCode int
	// Code is the error's shape name without its namespace, e.g.
	// "ConditionalCheckFailedException" for "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException".
	Code string
	// Message is the service's message, cut to 512 bytes, with the client's own secret key and
	// session token blanked out: signature errors quote the request they computed.
	Message   string
	RequestID string // x-amzn-RequestId, for support tickets
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: http %d", e.Service, e.Operation, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// Is matches ErrConditionFailed and ErrThrottled.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrConditionFailed:
		return e.Code == "ConditionalCheckFailedException"
	case ErrThrottled:
		switch e.Code {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
			"TooManyRequestsException":
			return true
		}
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// ConditionFailed reports whether DynamoDB refused a write because its condition did not hold.
// A caller that must not import this package (pkg/ledger, whose consumers stay free of AWS
// code) tells that refusal from an outage through this method.
func (e *Error) ConditionFailed() bool { return e.Is(ErrConditionFailed) }

// readError turns a non-success answer into *Error. The code comes from the X-Amzn-ErrorType
// header, else the body's "code", else its "__type"; the message from "message" or "Message";
// both sanitised as the SDK does (aws-sdk-go-v2 aws/protocol/restjson/decoder_util.go,
// GetErrorInfo and SanitizeErrorCode).
func (c *Client) readError(resp *http.Response, s Service, op string) error {
	e := &Error{
		Service:    s,
		Operation:  op,
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Amzn-Requestid"),
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Code    string
		Type    string `json:"__type"`
		Message string // encoding/json matches "message" and "Message" alike
	}
	_ = json.NewDecoder(bytes.NewReader(data)).Decode(&body)
	switch {
	case resp.Header.Get("X-Amzn-Errortype") != "":
		e.Code = sanitizeCode(resp.Header.Get("X-Amzn-Errortype"))
	case body.Code != "":
		e.Code = sanitizeCode(body.Code)
	case body.Type != "":
		e.Code = sanitizeCode(body.Type)
	}
	// Redact before cutting, so no part of a secret survives at the cut.
	e.Code = truncate(c.redact(e.Code), 128)
	e.Message = truncate(c.redact(body.Message), maxMessage)
	e.RequestID = truncate(e.RequestID, 128)
	return e
}

// sanitizeCode keeps what is before the first ':' and then what is after the first '#'.
func sanitizeCode(code string) string {
	code, _, _ = strings.Cut(code, ":")
	if _, after, ok := strings.Cut(code, "#"); ok {
		code = after
	}
	return code
}

// redact blanks the client's secrets out of s. The access key id stays: it is not a secret,
// and it is what an operator needs to find the key.
func (c *Client) redact(s string) string {
	for _, secret := range []string{c.creds.SecretAccessKey, c.creds.SessionToken} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
