// Package awsapi is a small client for the three AWS calls drpause makes: DynamoDB and Secrets
// Manager over the JSON protocol, and Lambda's asynchronous Invoke. It signs with the SDK's own
// SigV4 signer (aws/signer/v4) over net/http instead of importing the SDK's service packages,
// whose package initialisation alone costs about a millisecond each at every cold start.
//
// The client sends each call once: it never retries, never follows a redirect, never logs, and
// keeps credentials out of its errors. Errors from a service are *Error, matched with errors.As,
// or with errors.Is against ErrConditionFailed.
package awsapi
