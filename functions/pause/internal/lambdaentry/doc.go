// Package lambdaentry runs the product's one http.Handler behind AWS Lambda: it turns Function
// URL, HTTP API and REST API events into requests, answers direct invocations like POST /invoke,
// and carries deferred work to an asynchronous invocation of the same function in an envelope
// that only this deployment can seal.
package lambdaentry
