package drapi

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
)

const (
	testProject = "89cd04f168b84af6be287f71730fdb4b"
	testID      = "e59d6b86-9072-46eb-a996-13f8b44994c1"
)

var testCreds = Credentials{AccessKey: "AK1234567890", SecretKey: "SK0987654321", SecurityToken: "temporary-token"}

// answer is one scripted response of the fake API.
type answer struct {
	status int
	body   string
	header map[string]string // an empty value removes the header
	hang   bool              // hold the request until the client gives up
	reset  bool              // drop the connection without an answer
}

func detail(s Status) answer {
	return answer{status: 200, body: `{"disaster_recovery":{"id":"` + testID + `","name":"dr1","status":"` + string(s) + `"}}`}
}

var accepted = answer{status: 200, body: `{"disaster_recovery":{"id":"` + testID + `"}}`}

func apiError(status int, code string) answer {
	return answer{status: status, body: `{"error_code":"` + code + `","error_msg":"scripted"}`}
}

// fakeAPI answers each method from its script, in order, repeating the last answer. It checks
// every request the way the API gateway would: signature, signed headers, project and path.
type fakeAPI struct {
	t      *testing.T
	op     string // the one operation a POST may name: "pause" when empty, or "start"
	mu     sync.Mutex
	script map[string][]answer
	calls  map[string]int
	hung   chan struct{} // receives once per request held by a hang answer
}

func (a *fakeAPI) count(method string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[method]
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkRequest(r, cmp.Or(a.op, "pause")); err != nil {
		a.t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error_code":"APIGW.0301","error_msg":"test server rejected the request"}`)
		return
	}
	a.mu.Lock()
	n := a.calls[r.Method]
	a.calls[r.Method]++
	list := a.script[r.Method]
	a.mu.Unlock()
	if len(list) == 0 {
		a.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	ans := list[min(n, len(list)-1)]
	switch {
	case ans.hang:
		select {
		case a.hung <- struct{}{}:
		default:
		}
		<-r.Context().Done()
		return
	case ans.reset:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			a.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	w.Header().Set("X-Request-Id", fmt.Sprintf("%s-%d", r.Method, n+1))
	for k, v := range ans.header {
		if v == "" {
			w.Header().Del(k)
			continue
		}
		w.Header().Set(k, v)
	}
	w.WriteHeader(ans.status)
	io.WriteString(w, ans.body)
}

// checkRequest verifies what DWS verifies, plus what this client promises to send: a POST
// names op.
func checkRequest(r *http.Request, op string) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	secret := func(ak string) (string, bool) { return testCreds.SecretKey, ak == testCreds.AccessKey }
	if _, err := aksk.Verify(r, body, secret); err != nil {
		return err
	}
	_, signed, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	if want := "user-agent;x-project-id;x-sdk-date;x-security-token"; signed != want {
		return fmt.Errorf("signed headers %q; want %q", signed, want)
	}
	for name, want := range map[string]string{
		"User-Agent":       DefaultUserAgent,
		"X-Project-Id":     testProject,
		"X-Security-Token": testCreds.SecurityToken,
	} {
		if got := r.Header.Get(name); got != want {
			return fmt.Errorf("header %s = %q; want %q", name, got, want)
		}
	}
	drPath := "/v2/" + testProject + "/disaster-recovery/" + testID
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == drPath || r.URL.Path == "/v2/"+testProject+"/disaster-recoveries"):
	case r.Method == http.MethodPost && r.URL.Path == drPath+"/"+op && len(body) == 0:
	default:
		return fmt.Errorf("unexpected request %s %s with %d body bytes", r.Method, r.URL, len(body))
	}
	return nil
}

// newTestClient returns a Client with millisecond backoffs talking to a fakeAPI playing script,
// where a POST must be a pause.
func newTestClient(t *testing.T, script map[string][]answer) (*Client, *fakeAPI) {
	t.Helper()
	return newTestClientFor(t, "pause", script)
}

// newTestClientFor is newTestClient where a POST must be op.
func newTestClientFor(t *testing.T, op string, script map[string][]answer) (*Client, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{t: t, op: op, script: script, calls: map[string]int{}, hung: make(chan struct{}, 1)}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c, err := New(Config{ProjectID: testProject, Endpoint: srv.URL, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	c.backoffBase, c.backoffMax, c.retryAfterMax = time.Millisecond, 4*time.Millisecond, 20*time.Millisecond
	c.attemptTimeout = 5 * time.Second
	return c, api
}

// unreachable is a server that fails the test if anything reaches it.
func unreachable(t *testing.T) *Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached the server: %s %s", r.Method, r.URL)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{ProjectID: testProject, Endpoint: srv.URL, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// errAny stands for any error in tables whose other columns say more.
var errAny = errors.New("any error")
