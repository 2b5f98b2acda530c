package lambdaentry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// EventInvoker queues an asynchronous invocation of a function; *awsapi.Client is one.
type EventInvoker interface {
	InvokeEvent(ctx context.Context, function string, payload []byte) error
}

// SelfInvoker queues asynchronous invocations of the function it runs in. It is safe for
// concurrent use once its fields are set.
type SelfInvoker struct {
	FunctionName string // AWS_LAMBDA_FUNCTION_NAME

	// API is the Lambda API: an *awsapi.Client built from the environment Lambda gives the
	// function (AWS_REGION, the execution role's keys, AWS_ENDPOINT_URL_LAMBDA). awsapi sends
	// each call once, which is what a deferral needs: an asynchronous invocation whose answer
	// was lost may have been queued, and a retry would queue the job twice, so the caller
	// reports the failure instead.
	API EventInvoker

	// Timeout bounds one invocation, on top of ctx; zero means DefaultInvokeTimeout. A deferral
	// runs while Slack waits for its 3 s answer, so a slow Lambda API must fail it rather than
	// make Slack give up on the click.
	Timeout time.Duration
}

// DefaultInvokeTimeout leaves half of Slack's 3 s to the rest of the answer.
const DefaultInvokeTimeout = 1500 * time.Millisecond

// InvokeAsync invokes the function with payload (InvocationType Event) and returns once Lambda
// has queued it.
func (s *SelfInvoker) InvokeAsync(ctx context.Context, payload []byte) error {
	if s.FunctionName == "" {
		return errors.New("no function name (AWS_LAMBDA_FUNCTION_NAME)")
	}
	if s.API == nil {
		return errors.New("no Lambda API client")
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultInvokeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.API.InvokeEvent(ctx, s.FunctionName, payload); err != nil {
		return fmt.Errorf("invoke %s: %w", s.FunctionName, err)
	}
	return nil
}
