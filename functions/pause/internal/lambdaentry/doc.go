// Package lambdaentry runs the product's one http.Handler behind AWS Lambda: it turns Function
// URL, HTTP API and REST API events into requests, answers direct invocations like POST /invoke,
// and carries deferred work to an asynchronous invocation of the same function in an envelope
// that only this deployment can seal.
//
// The files follow the event's path: handler.go tells the kinds of event apart, httpevents.go
// adapts the HTTP ones, jobs.go owns a deferred job's round trip, seal.go its envelope and
// selfinvoke.go the asynchronous call to the Lambda API.
package lambdaentry
