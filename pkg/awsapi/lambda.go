package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// InvokeEvent queues payload for an asynchronous invocation of function (a name, a partial or
// a full ARN, with an optional :qualifier): Lambda's Invoke with X-Amz-Invocation-Type: Event,
// which answers 202 once the event is queued. The function runs later, at least once.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
func (c *Client) InvokeEvent(ctx context.Context, function string, payload []byte) error {
	if err := validFunctionName(function); err != nil {
		return fmt.Errorf("%s Invoke: %w", Lambda, err)
	}
	u := *c.endpoints[Lambda]
	// The name is one path segment, escaped as the SDK escapes path labels (':' too, so an ARN
	// stays one segment); the signer then escapes the escaped path once more, as SigV4 wants for
	// every service but S3.
	const prefix, suffix = "/2015-03-31/functions/", "/invocations"
	u.RawPath = u.Path + prefix + httpbinding.EscapePath(function, true) + suffix
	u.Path = u.Path + prefix + function + suffix
	req, err := c.newRequest(ctx, http.MethodPost, &u, payload)
	if err != nil {
		return fmt.Errorf("%s Invoke: %w", Lambda, err)
	}
	// What the SDK's Invoke sends for an event (service/lambda request_snapshot/Invoke.request.snap).
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	return c.send(req, payload, Lambda, "Invoke", http.StatusAccepted, nil)
}

// validFunctionName refuses what cannot be a function name or ARN before it reaches a URL.
func validFunctionName(s string) error {
	if s == "" || len(s) > 256 {
		return errors.New("function name must be 1 to 256 characters")
	}
	if i := strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			strings.ContainsRune("-_:.$", r))
	}); i >= 0 {
		return errors.New("function name may hold only letters, digits and -_:.$")
	}
	return nil
}
