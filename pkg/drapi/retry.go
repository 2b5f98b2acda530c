package drapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// transient reports whether err may go away by itself: throttling, a 5xx, or a transport failure.
func transient(err error) bool {
	if errors.Is(err, ErrNoCredentials) {
		return false
	}
	if errors.Is(err, ErrThrottled) {
		return true
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.HTTPStatus >= 500
	}
	return !errors.Is(err, errMalformed)
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
