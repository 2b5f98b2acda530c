package lambdaentry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// SelfInvoker queues asynchronous invocations of the function it runs in. It is safe for
// concurrent use once its fields are set.
type SelfInvoker struct {
	FunctionName string // AWS_LAMBDA_FUNCTION_NAME

	// Region, Credentials and Endpoint describe the Lambda API. Lambda puts the execution role's
	// credentials and the region in the environment; the SDK's default configuration loader
	// would read the same values but links in SSO, STS and IMDS clients for nothing (2 MB, and
	// start-up time).
	Region      string                  // AWS_REGION
	Credentials aws.CredentialsProvider // from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
	Endpoint    string                  // AWS_ENDPOINT_URL_LAMBDA; empty: the region's endpoint
	HTTPClient  *http.Client            // nil: the SDK's default

	// Timeout bounds one invocation, on top of ctx; zero means DefaultInvokeTimeout. A deferral
	// runs while Slack waits for its 3 s answer, so a slow Lambda API must fail it rather than
	// make Slack give up on the click.
	Timeout time.Duration

	// The client is built on first use, so invocations that defer nothing never pay for it.
	once   sync.Once
	client *lambda.Client
}

// DefaultInvokeTimeout leaves half of Slack's 3 s to the rest of the answer.
const DefaultInvokeTimeout = 1500 * time.Millisecond

// InvokeAsync invokes the function with payload (InvocationType Event) and returns once Lambda
// has queued it.
func (s *SelfInvoker) InvokeAsync(ctx context.Context, payload []byte) error {
	if s.FunctionName == "" {
		return errors.New("no function name (AWS_LAMBDA_FUNCTION_NAME)")
	}
	s.once.Do(func() {
		// One attempt: an asynchronous invocation whose answer was lost may have been queued,
		// and a retry would queue the job twice; the caller reports the failure instead.
		opts := lambda.Options{Region: s.Region, Credentials: s.Credentials, RetryMaxAttempts: 1}
		if s.Endpoint != "" {
			opts.BaseEndpoint = aws.String(s.Endpoint)
		}
		if s.HTTPClient != nil {
			opts.HTTPClient = s.HTTPClient
		}
		s.client = lambda.New(opts)
	})
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultInvokeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := s.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(s.FunctionName),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", s.FunctionName, err)
	}
	return nil
}
