// Package fakesecrets is a local stand-in for AWS Secrets Manager's GetSecretValue, for tests and
// benchmarks that point AWS_ENDPOINT_URL_SECRETS_MANAGER at it. It speaks the JSON 1.1 protocol as
// the service does (POST /, X-Amz-Target secretsmanager.GetSecretValue, the same answer and error
// shapes), keeps the AWSCURRENT and AWSPREVIOUS versions of one secret, and records each call. It
// does not check signatures, only that there is one.
package fakesecrets

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Call is one recorded request.
type Call struct {
	Target       string // X-Amz-Target
	SecretID     string
	VersionStage string // "" means AWSCURRENT
	Signed       bool   // an AWS SigV4 Authorization header was sent
}

// Server holds one secret. It is safe for concurrent use.
type Server struct {
	srv     *httptest.Server
	arn     string
	changed chan struct{} // closed and replaced at every call

	mu      sync.Mutex
	current version
	prev    *version
	serial  int
	calls   []Call
	failing string // an error code every call answers with; "" for none
}

type version struct {
	id, value string
	created   time.Time
}

// Start serves a secret named by arn holding value (a JSON object of secret variables) on a
// loopback port until Close.
func Start(arn, value string) *Server {
	s := &Server{arn: arn, changed: make(chan struct{})}
	s.current = s.newVersion(value)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *Server) newVersion(value string) version {
	s.serial++
	return version{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.serial), value: value, created: time.Now()}
}

// URL is the endpoint to put in AWS_ENDPOINT_URL_SECRETS_MANAGER.
func (s *Server) URL() string { return s.srv.URL }

// ARN is the secret's ARN, for DR_SECRETS_ARN.
func (s *Server) ARN() string { return s.arn }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Put stores a new value, as PutSecretValue does: it becomes AWSCURRENT, and the value it
// replaces AWSPREVIOUS.
func (s *Server) Put(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.current
	s.prev = &prev
	s.current = s.newVersion(value)
}

// Backdate moves the creation of the current version d into the past, as for a secret last
// rotated long before.
func (s *Server) Backdate(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current.created = s.current.created.Add(-d)
}

// Fail makes every call answer with the error code (e.g. "InternalServiceError"), or, with "",
// answer normally again.
func (s *Server) Fail(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = code
}

// Calls returns the requests so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Changed returns a channel closed at the next call, to wait for one without polling.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	var in struct{ SecretId, VersionId, VersionStage string }
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	decodeErr := json.Unmarshal(body, &in)

	s.mu.Lock()
	s.calls = append(s.calls, Call{Target: target, SecretID: in.SecretId, VersionStage: in.VersionStage,
		Signed: strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")})
	close(s.changed)
	s.changed = make(chan struct{})
	cur, prev, failing := s.current, s.prev, s.failing
	s.mu.Unlock()

	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		fail(w, http.StatusNotFound, "UnknownOperationException", "")
	case target != "secretsmanager.GetSecretValue":
		fail(w, http.StatusBadRequest, "UnknownOperationException", "")
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		fail(w, http.StatusBadRequest, "SerializationException", "want application/x-amz-json-1.1")
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Request is missing Authentication Token")
	case decodeErr != nil:
		fail(w, http.StatusBadRequest, "SerializationException", "")
	case failing != "":
		fail(w, http.StatusInternalServerError, failing, "injected by fakesecrets")
	case in.SecretId != s.arn && in.SecretId != name(s.arn):
		fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	case in.VersionStage == "" || in.VersionStage == "AWSCURRENT":
		answer(w, s.arn, cur, "AWSCURRENT")
	case in.VersionStage == "AWSPREVIOUS" && prev != nil:
		answer(w, s.arn, *prev, "AWSPREVIOUS")
	default:
		fail(w, http.StatusBadRequest, "ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for staging label: "+in.VersionStage)
	}
}

// name is the secret's name in its ARN: arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>.
func name(arn string) string {
	_, n, ok := strings.Cut(arn, ":secret:")
	if !ok || len(n) < 8 {
		return arn
	}
	return n[:len(n)-7]
}

func answer(w http.ResponseWriter, arn string, v version, stage string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "fake-request-id")
	json.NewEncoder(w).Encode(map[string]any{
		"ARN":           arn,
		"Name":          name(arn),
		"VersionId":     v.id,
		"SecretString":  v.value,
		"VersionStages": []string{stage},
		"CreatedDate":   float64(v.created.UnixMilli()) / 1000,
	})
}

func fail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "fake-request-id")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}
