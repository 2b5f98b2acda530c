// Command hello is the aws-lambda-go hello world that drpause's bootstrap is measured against:
// built with the same flags, it is the least a Go Lambda function can be.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
