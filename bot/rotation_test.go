package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// rotatingSecret is a signing secret whose Recheck finds next, once.
type rotatingSecret struct {
	cur, prev, next string
	rechecks        int
}

var _ rotating.Secret = (*rotatingSecret)(nil)

func (s *rotatingSecret) Current() string  { return s.cur }
func (s *rotatingSecret) Previous() string { return s.prev }
func (s *rotatingSecret) Recheck(_ context.Context, failed string) bool {
	s.rechecks++
	if s.next == "" || failed != s.cur {
		return false
	}
	s.prev, s.cur, s.next = s.cur, s.next, ""
	return true
}

// TestVerifyAfterRotation: a request signed with a secret rotated in since the last read
// passes on its first try, after one re-read; requests that are not merely signed with another
// secret (no signature, expired) never cause one.
func TestVerifyAfterRotation(t *testing.T) {
	const oldSecret, newSecret = "old-signing-secret", "new-signing-secret"
	body := commandBody("U1", chanID, "help", "https://hooks.example/r")
	headers := func(secret string, at time.Time) http.Header {
		return signedRequestAt("/slack/commands", body, at, secret).Header
	}
	tests := []struct {
		name         string
		header       http.Header
		next         string // what a re-read finds
		wantErr      bool
		wantRechecks int
	}{
		{name: "current secret", header: headers(oldSecret, time.Now()), next: newSecret},
		{name: "rotated secret", header: headers(newSecret, time.Now()), next: newSecret, wantRechecks: 1},
		{name: "another secret", header: headers("forged", time.Now()), wantErr: true, wantRechecks: 1},
		{name: "another secret, rotation pending", header: headers("forged", time.Now()), next: newSecret, wantErr: true, wantRechecks: 1},
		{name: "expired", header: headers(newSecret, time.Now().Add(-time.Hour)), next: newSecret, wantErr: true},
		{name: "unsigned", header: http.Header{}, next: newSecret, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := &rotatingSecret{cur: oldSecret, next: tt.next}
			b, err := New(Config{SigningSecrets: secret}, &fakeDR{})
			if err != nil {
				t.Fatal(err)
			}
			err = b.verify(context.Background(), tt.header, []byte(body))
			if (err != nil) != tt.wantErr || secret.rechecks != tt.wantRechecks {
				t.Errorf("verify: got %v after %d re-reads; want error %t after %d", err, secret.rechecks, tt.wantErr, tt.wantRechecks)
			}
		})
	}
}

// TestButtonsAfterRotation: a card made with the previous signing secret still opens while the
// secret offers it as previous; cards are made with the secret in force.
func TestButtonsAfterRotation(t *testing.T) {
	v := buttonValue{ID: drsim.SeedRunning, Requester: "U1", RequestedAt: time.Now().Unix()}
	old := buttonKeys{rotating.Fixed("old-signing-secret")}.seal(v)
	rotated := &rotatingSecret{cur: "new-signing-secret", prev: "old-signing-secret"}
	keys := buttonKeys{rotated}
	if got, err := keys.open(old); err != nil || got.ID != v.ID {
		t.Errorf("card of the previous secret: got %v, %v; want it opened", got, err)
	}
	if got, want := keys.seal(v), newButtonKey("new-signing-secret").seal(v); got != want {
		t.Error("new card: not sealed with the secret in force")
	}
	rotated.prev = "" // the grace period is over
	if _, err := keys.open(old); !errors.Is(err, errBadButton) {
		t.Errorf("card of the previous secret after the grace period: got %v; want errBadButton", err)
	}
	if _, err := keys.open(buttonKeys{rotating.Fixed("another-deployment")}.seal(v)); !errors.Is(err, errBadButton) {
		t.Errorf("card of another secret: got %v; want errBadButton", err)
	}
}

// TestBotTokenAfterRotation: each Web API call uses the bot token in force, so a rotated token
// is used from the next call on without a restart.
func TestBotTokenAfterRotation(t *testing.T) {
	var (
		mu   sync.Mutex
		used []string
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" {
			token = r.PostForm.Get("token")
		}
		mu.Lock()
		used = append(used, token)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.2"}`)
	}))
	defer api.Close()
	token := &rotatingSecret{cur: "xoxb-old-token"}
	b, err := New(Config{SigningSecret: testSecret, BotTokens: token, SlackAPIURL: api.URL + "/"}, &fakeDR{})
	if err != nil {
		t.Fatal(err)
	}
	msg := slackMessage{Text: "hello"}
	if _, err := b.postMessage(context.Background(), chanID, "", msg); err != nil {
		t.Fatal(err)
	}
	token.cur = "xoxb-new-token"
	if err := b.updateMessage(context.Background(), chanID, "1.2", msg); err != nil {
		t.Fatal(err)
	}
	token.cur = ""
	if _, err := b.postMessage(context.Background(), chanID, "", msg); !errors.Is(err, errNoToken) {
		t.Errorf("postMessage without a token: got %v; want errNoToken", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"xoxb-old-token", "xoxb-new-token"}; !slices.Equal(used, want) {
		t.Errorf("tokens used: got %q; want %q", used, want)
	}
}
