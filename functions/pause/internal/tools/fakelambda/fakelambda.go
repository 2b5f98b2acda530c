// Package fakelambda is a local stand-in for the AWS Lambda Invoke API, for tests that point
// AWS_ENDPOINT_URL_LAMBDA at it: it records each invocation and answers an asynchronous one
// with 202, as Lambda does.
package fakelambda

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Invocation is one recorded call.
type Invocation struct {
	FunctionName   string
	InvocationType string // X-Amz-Invocation-Type
	Payload        []byte
	Signed         bool // an AWS SigV4 Authorization header was sent
}

// Server records invocations. It is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	calls chan Invocation
	mu    sync.Mutex
	all   []Invocation
}

// Start serves a fake on a loopback port until Close.
func Start() *Server {
	s := &Server{calls: make(chan Invocation, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		inv := Invocation{
			FunctionName:   r.PathValue("name"),
			InvocationType: r.Header.Get("X-Amz-Invocation-Type"),
			Payload:        payload,
			Signed:         strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "),
		}
		s.mu.Lock()
		s.all = append(s.all, inv)
		s.mu.Unlock()
		select {
		case s.calls <- inv:
		default:
		}
		w.Header().Set("X-Amzn-Requestid", "fake-request-id")
		if inv.InvocationType == "Event" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("null"))
	})
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the endpoint to put in AWS_ENDPOINT_URL_LAMBDA.
func (s *Server) URL() string { return s.srv.URL }

// Calls delivers invocations as they arrive.
func (s *Server) Calls() <-chan Invocation { return s.calls }

// All returns every invocation so far.
func (s *Server) All() []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Invocation(nil), s.all...)
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }
