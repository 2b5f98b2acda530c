package drapi

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels to test errors with errors.Is.
var (
	// ErrInvalidID: the id is not a canonical UUID; nothing was sent.
	ErrInvalidID = errors.New("drapi: invalid disaster recovery id: want a canonical UUID")
	// ErrNotFound: the DR task does not exist (HTTP 404, or DWS.10101 whatever the status).
	ErrNotFound = errors.New("drapi: disaster recovery task not found")
	// ErrThrottled: the API gateway throttled the call (HTTP 429 or APIG.0308).
	ErrThrottled = errors.New("drapi: throttled")
	// ErrAuth: the credentials were rejected (HTTP 401/403, APIGW.0301, APIG.0301).
	ErrAuth = errors.New("drapi: credentials rejected")
	// ErrStatusNotAllowed: the DR task's status does not allow the operation.
	ErrStatusNotAllowed = errors.New("drapi: status does not allow this operation")
)

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

// Is matches the sentinels ErrNotFound, ErrThrottled, ErrAuth and ErrStatusNotAllowed.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.HTTPStatus == 404 || e.Code == "DWS.10101"
	case ErrThrottled:
		return e.HTTPStatus == 429 || e.Code == "APIG.0308"
	case ErrAuth:
		return e.Code == "APIGW.0301" || e.Code == "APIG.0301" ||
			(e.HTTPStatus == 401 || e.HTTPStatus == 403) && !e.isResourceCode()
	case ErrStatusNotAllowed:
		return e.HTTPStatus == 409
	}
	return false
}

// isResourceCode: DWS sends some "not found" answers as 401/403 (DWS.0047, DWS.0015);
// those are not credential problems.
func (e *Error) isResourceCode() bool { return e.Code == "DWS.0047" || e.Code == "DWS.0015" }

// StatusError reports a DR task whose status does not allow, or ended, an operation.
// errors.Is(err, ErrStatusNotAllowed) is true for it.
type StatusError struct {
	ID     string
	Op     string // "pause", or "follow" when a pause ended in a failure status
	Status Status
}

func (e *StatusError) Error() string {
	if e.Op == "follow" {
		return fmt.Sprintf("disaster recovery %s ended in status %s", e.ID, e.Status)
	}
	return fmt.Sprintf("cannot %s disaster recovery %s in status %s", e.Op, e.ID, e.Status)
}

func (e *StatusError) Is(target error) bool { return target == ErrStatusNotAllowed }
