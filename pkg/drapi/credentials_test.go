package drapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// Temporary credentials as a FunctionGraph agency hands them over with a request.
var tempCreds = drapi.Credentials{AccessKey: "TEMPAGENCYAK0000", SecretKey: "temp-agency-sk-never-shown", SecurityToken: "temp-agency-token-never-shown"}

// signers records who signed each request a simulator received, and the token it carried.
type signers struct {
	next http.Handler
	mu   sync.Mutex
	seen []string // "AK token" per request
}

func (s *signers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	_, ak, _ := strings.Cut(auth, "Access=")
	ak, _, _ = strings.Cut(ak, ",")
	s.mu.Lock()
	s.seen = append(s.seen, ak+" "+r.Header.Get("X-Security-Token"))
	s.mu.Unlock()
	s.next.ServeHTTP(w, r)
}

func (s *signers) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// agencySim serves a simulator that accepts only tempCreds, and records who signed what.
func agencySim(t *testing.T) (*drsim.Sim, *signers, string) {
	t.Helper()
	sim := drsim.New(drsim.Options{Credentials: tempCreds, StoppingFor: drsim.Immediate})
	rec := &signers{next: sim}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return sim, rec, srv.URL
}

// TestWithCredentials: a call signs with the credentials of its context, token included, over
// the Client's own; a Client may hold none.
func TestWithCredentials(t *testing.T) {
	tests := []struct {
		name   string
		client drapi.Credentials // the Client's own
	}{
		{name: "client without credentials", client: drapi.Credentials{}},
		{name: "client with other credentials", client: drsim.LocalCredentials()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, rec, url := agencySim(t)
			c, err := drapi.New(drapi.Config{ProjectID: drsim.ProjectID, Endpoint: url, Credentials: tt.client})
			if err != nil {
				t.Fatal(err)
			}
			ctx := drapi.WithCredentials(context.Background(), tempCreds)
			if _, err := c.List(ctx, drapi.ListFilter{}); err != nil {
				t.Fatalf("List with the context's credentials: %v", err)
			}
			out, err := c.PauseAndFollow(ctx, drsim.SeedRunning, drapi.FollowOptions{MinInterval: 1})
			if err != nil || !out.Posted {
				t.Fatalf("PauseAndFollow: got %+v, %v; want the pause posted", out, err)
			}
			if got := sim.Count(drsim.RoutePause); got != 1 {
				t.Errorf("pauses received: got %d; want 1", got)
			}
			want := tempCreds.AccessKey + " " + tempCreds.SecurityToken
			for i, got := range rec.requests() {
				if got != want {
					t.Errorf("request %d: signed by %q; want %q", i, got, want)
				}
			}
		})
	}
}

// TestWithCredentialsIncomplete: credentials in the context are used whole. A set missing a key
// never falls back to the Client's, and sends nothing; neither does a call with no credentials
// anywhere. The error says what is missing and nothing else.
func TestWithCredentialsIncomplete(t *testing.T) {
	tests := []struct {
		name        string
		client      drapi.Credentials
		ctx         *drapi.Credentials // nil: none in the context
		wantMissing string
	}{
		{name: "no credentials anywhere", wantMissing: "access key and secret key"},
		{name: "context without secret key", client: tempCreds,
			ctx: &drapi.Credentials{AccessKey: tempCreds.AccessKey, SecurityToken: tempCreds.SecurityToken}, wantMissing: "secret key"},
		{name: "context without access key", client: tempCreds,
			ctx: &drapi.Credentials{SecretKey: tempCreds.SecretKey, SecurityToken: tempCreds.SecurityToken}, wantMissing: "access key"},
		{name: "empty context credentials", client: tempCreds, ctx: &drapi.Credentials{}, wantMissing: "access key and secret key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rec, url := agencySim(t)
			c, err := drapi.New(drapi.Config{ProjectID: drsim.ProjectID, Endpoint: url, Credentials: tt.client})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = drapi.WithCredentials(ctx, *tt.ctx)
			}
			_, listErr := c.List(ctx, drapi.ListFilter{})
			_, pauseErr := c.Pause(ctx, drsim.SeedRunning)
			_, followErr := c.PauseAndFollow(ctx, drsim.SeedRunning, drapi.FollowOptions{MinInterval: 1})
			for _, err := range []error{listErr, pauseErr, followErr} {
				switch {
				case !errors.Is(err, drapi.ErrNoCredentials) || !errors.Is(err, drapi.ErrAuth):
					t.Errorf("got %v; want ErrNoCredentials, which is ErrAuth too", err)
				case !strings.Contains(err.Error(), "missing: "+tt.wantMissing+")"):
					t.Errorf("got %q; want it to say %q is missing", err, tt.wantMissing)
				case strings.Contains(err.Error(), "attempts"):
					t.Errorf("got %q; want no retry of a call that has no credentials", err)
				case strings.Contains(err.Error(), tempCreds.SecretKey) || strings.Contains(err.Error(), tempCreds.SecurityToken):
					t.Errorf("got %q; want no secret in the error", err)
				}
			}
			if got := rec.requests(); len(got) != 0 {
				t.Errorf("requests sent: got %q; want none", got)
			}
		})
	}
}

// TestWithCredentialsTokenSigned: the token travels with the context's credentials: without it
// the simulator, which issued the key with a token, refuses the call.
func TestWithCredentialsTokenSigned(t *testing.T) {
	_, _, url := agencySim(t)
	c, err := drapi.New(drapi.Config{ProjectID: drsim.ProjectID, Endpoint: url})
	if err != nil {
		t.Fatal(err)
	}
	noToken := tempCreds
	noToken.SecurityToken = ""
	_, err = c.List(drapi.WithCredentials(context.Background(), noToken), drapi.ListFilter{})
	if !errors.Is(err, drapi.ErrAuth) || errors.Is(err, drapi.ErrNoCredentials) {
		t.Errorf("got %v; want the simulator's refusal (ErrAuth)", err)
	}
}

// TestNewHalfAPair: a Client holds both keys or neither.
func TestNewHalfAPair(t *testing.T) {
	for _, creds := range []drapi.Credentials{{AccessKey: "AK"}, {SecretKey: "sk-never-shown"}} {
		_, err := drapi.New(drapi.Config{ProjectID: drsim.ProjectID, Region: "cn-north-4", Credentials: creds})
		if err == nil || strings.Contains(err.Error(), "sk-never-shown") {
			t.Errorf("New with %v: got %v; want an error without the key", creds, err)
		}
	}
}

// CredentialsFrom gives back what WithCredentials stored, and nothing for a bare context.
func TestCredentialsFrom(t *testing.T) {
	if _, ok := drapi.CredentialsFrom(context.Background()); ok {
		t.Error("CredentialsFrom(Background): got credentials; want none")
	}
	got, ok := drapi.CredentialsFrom(drapi.WithCredentials(context.Background(), tempCreds))
	if !ok || got != tempCreds {
		t.Errorf("CredentialsFrom: got %v, %t; want the stored credentials", got, ok)
	}
}
