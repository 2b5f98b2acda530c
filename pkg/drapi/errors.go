package drapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Sentinels to test errors with errors.Is.
var (
	// ErrInvalidID: the id is not a canonical UUID; nothing was sent.
	ErrInvalidID = errors.New("drapi: invalid disaster recovery id: want a canonical UUID")
	// ErrNotFound: the DR task, or one of its clusters, does not exist (HTTP 404, or DWS.10101,
	// DWS.0047, DWS.0015 or DWS.3027 whatever the status).
	ErrNotFound = errors.New("drapi: disaster recovery task not found")
	// ErrThrottled: the API gateway throttled the call (HTTP 429 or APIG.0308).
	ErrThrottled = errors.New("drapi: throttled")
	// ErrAuth: the credentials were rejected (HTTP 401/403, or a gateway or IAM auth code such
	// as APIGW.0301 or APIG.0301).
	ErrAuth = errors.New("drapi: credentials rejected")
	// ErrRefused: DWS refused the call with a 4xx answer that is about neither the
	// credentials, throttling nor a missing task: its final word on this call.
	ErrRefused = errors.New("drapi: refused by DWS")
	// ErrBusy: DWS.0011, another operation is in progress on the cluster (or it is faulty); try
	// again later. DWS sends it as 409, its only documented 409. errors.Is(err, ErrRefused) is
	// true for it too.
	ErrBusy = errors.New("drapi: another operation is in progress")
	// ErrStatusNotAllowed: the DR task's status, as read, does not allow the operation: a
	// *StatusError. No DWS answer matches it: which error_code DWS sends for "status does not
	// allow" is UNVERIFIED, so a refusal is a *RefusedError naming the status read back instead.
	ErrStatusNotAllowed = errors.New("drapi: status does not allow this operation")
)

// Codes the classification below matches. Only DWS.0011 is documented as 409; the status-based
// refusal of a pause or a start has no documented code (UNVERIFIED), which is why any other refusal is
// read back rather than matched.
const (
	codeBusy      = "DWS.0011"
	codeThrottled = "APIG.0308"
)

// errMalformed marks a 2xx answer whose body is not what the API documents. After a pause or a
// start it leaves open whether the operation took effect.
var errMalformed = errors.New("malformed response")

// Error is an error answer of the DWS API.
type Error struct {
	HTTPStatus int           // HTTP status code
	Code       string        // error_code, e.g. "DWS.10101"; may be empty
	Message    string        // error_msg, or the fallback message
	RequestID  string        // X-Request-Id response header, for support tickets
	RetryAfter time.Duration // from Retry-After, when the server sent one
	Attempts   int           // how many times the call was sent before giving up
}

func (e *Error) Error() string {
	s := fmt.Sprintf("dws api: http %d", e.HTTPStatus)
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

// Is matches the sentinels ErrNotFound, ErrThrottled, ErrAuth, ErrRefused and ErrBusy. An
// answer matches at most one of the first four, checked in this order: throttled, not found,
// credentials, refused.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrThrottled:
		return e.throttled()
	case ErrNotFound:
		return !e.throttled() && e.notFound()
	case ErrAuth:
		return !e.throttled() && !e.notFound() && e.auth()
	case ErrRefused:
		return e.HTTPStatus >= 400 && e.HTTPStatus < 500 && !e.throttled() && !e.notFound() && !e.auth()
	case ErrBusy:
		return e.Code == codeBusy
	}
	return false
}

func (e *Error) throttled() bool { return e.HTTPStatus == 429 || e.Code == codeThrottled }

// notFound: DWS sends "not found" for the task (DWS.10101) and its clusters (DWS.0047,
// DWS.0015, DWS.3027) under various statuses, 401 and 403 included; those are no credentials
// problem.
func (e *Error) notFound() bool {
	switch e.Code {
	case "DWS.10101", "DWS.0047", "DWS.0015", "DWS.3027":
		return true
	}
	return e.HTTPStatus == 404
}

// auth: the gateway's authentication and authorization codes (APIG.03xx and APIGW.03xx, such as
// APIGW.0301 signature rejected and APIG.0301 token invalid; APIG.0308 is throttling, matched
// before) and IAM's, or a 401/403 without a code this package knows. Which of the 03xx codes
// DWS's gateway really sends beyond 0301 and 0308 is UNVERIFIED: the family is matched whole.
func (e *Error) auth() bool {
	return strings.HasPrefix(e.Code, "APIG.03") || strings.HasPrefix(e.Code, "APIGW.03") ||
		strings.HasPrefix(e.Code, "IAM.") || e.HTTPStatus == 401 || e.HTTPStatus == 403
}

// RefusedError reports an operation DWS refused (see ErrRefused) after which the status read
// back did not show the operation under way: the refusal stands. It wraps the *Error, so
// errors.As finds DWS's code, message and request id, and errors.Is matches ErrRefused (and
// ErrBusy for DWS.0011).
type RefusedError struct {
	ID     string
	Op     string // "pause" or "start"
	Status Status // the status read back after the refusal; empty when it could not be read
	Err    *Error
}

func (e *RefusedError) Error() string {
	status := string(e.Status)
	if status == "" {
		status = "unknown (read back failed)"
	}
	return fmt.Sprintf("%s disaster recovery %.64q refused: %v; status now %s", e.Op, e.ID, e.Err, status)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// StatusError reports a DR task whose status does not allow, or ended, an operation.
// errors.Is(err, ErrStatusNotAllowed) is true for it.
type StatusError struct {
	ID     string
	Op     string // "pause" or "start", or "follow" when the operation ended in a failure status
	Status Status
}

func (e *StatusError) Error() string {
	if e.Op == "follow" {
		return fmt.Sprintf("disaster recovery %s ended in status %s", e.ID, e.Status)
	}
	return fmt.Sprintf("cannot %s disaster recovery %s in status %s", e.Op, e.ID, e.Status)
}

func (e *StatusError) Is(target error) bool { return target == ErrStatusNotAllowed }

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
// logs and Slack messages, so each is made showable: any of them may be long, span lines or be
// invalid UTF-8 (testdata/fuzz/FuzzNewError keeps such answers).
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
