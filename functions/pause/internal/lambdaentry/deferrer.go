package lambdaentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Deferrer hands work of type J to an asynchronous invocation of the function it runs in, so
// the work outlives the invocation that answered Slack: Lambda freezes a function between
// invocations, and a goroutine left running would be lost. It is safe for concurrent use.
type Deferrer[J any] struct {
	FunctionName string // AWS_LAMBDA_FUNCTION_NAME
	Key          JobKey
	Now          func() time.Time // nil means time.Now

	// Region, Credentials and Endpoint describe the Lambda API. Lambda puts the execution role's
	// credentials and the region in the environment; the SDK's default configuration loader
	// would read the same values but links in SSO, STS and IMDS clients for nothing (2 MB, and
	// start-up time).
	Region      string                  // AWS_REGION
	Credentials aws.CredentialsProvider // from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
	Endpoint    string                  // AWS_ENDPOINT_URL_LAMBDA; empty: the region's endpoint
	HTTPClient  *http.Client            // nil: the SDK's default

	// Timeout bounds one hand-off, on top of ctx; zero means DefaultDeferTimeout. The hand-off
	// runs while Slack waits for its 3 s answer, so a slow Lambda API must fail it rather than
	// make Slack give up on the click.
	Timeout time.Duration

	// The client is built on first use, so invocations that defer nothing never pay for it.
	once   sync.Once
	client *lambda.Client
}

// DefaultDeferTimeout leaves half of Slack's 3 s to the rest of the answer.
const DefaultDeferTimeout = 1500 * time.Millisecond

// Defer seals job and invokes the function with it, without waiting for the work to run.
func (d *Deferrer[J]) Defer(ctx context.Context, job J) error {
	raw, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("defer job: encode: %w", err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	payload, err := SealJob(d.Key, raw, now())
	if err != nil {
		return fmt.Errorf("defer job: %w", err)
	}
	if d.FunctionName == "" {
		return errors.New("defer job: no function name (AWS_LAMBDA_FUNCTION_NAME)")
	}
	d.once.Do(func() {
		// One attempt: an asynchronous invocation whose answer was lost may have been queued,
		// and a retry would queue the job twice; the click reports the failure instead.
		opts := lambda.Options{Region: d.Region, Credentials: d.Credentials, RetryMaxAttempts: 1}
		if d.Endpoint != "" {
			opts.BaseEndpoint = aws.String(d.Endpoint)
		}
		if d.HTTPClient != nil {
			opts.HTTPClient = d.HTTPClient
		}
		d.client = lambda.New(opts)
	})
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultDeferTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err = d.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(d.FunctionName),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("defer job: invoke %s: %w", d.FunctionName, err)
	}
	return nil
}
