package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/dws-dr/drpause/pkg/awsapi"
)

func ExampleClient_Do() {
	// A stand-in for DynamoDB that refuses every conditional write.
	dynamo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`)
	}))
	defer dynamo.Close()

	env := map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET",
		"AWS_ENDPOINT_URL_DYNAMODB": dynamo.URL, // unset, calls go to https://dynamodb.eu-west-1.amazonaws.com
	}
	cfg, err := awsapi.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := awsapi.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = c.Do(context.Background(), awsapi.DynamoDB, "PutItem", map[string]any{
		"TableName":           "ledger",
		"Item":                map[string]any{"pk": map[string]string{"S": "k"}},
		"ConditionExpression": "attribute_not_exists(pk)",
	}, nil)
	fmt.Println("taken already:", errors.Is(err, awsapi.ErrConditionFailed))
	var apiErr *awsapi.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
	}
	// Output:
	// taken already: true
	// 400 ConditionalCheckFailedException
}
