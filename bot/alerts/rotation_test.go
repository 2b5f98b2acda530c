package alerts_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// rotatingSecret is a Grafana secret whose Recheck finds next, once.
type rotatingSecret struct {
	cur, next string
	rechecks  int
}

var _ rotating.Secret = (*rotatingSecret)(nil)

func (s *rotatingSecret) Current() string { return s.cur }
func (s *rotatingSecret) Previous() string {
	return "" // a signature is checked against the value in force only
}
func (s *rotatingSecret) Recheck(_ context.Context, failed string) bool {
	s.rechecks++
	if s.next == "" || failed != s.cur {
		return false
	}
	s.cur, s.next = s.next, ""
	return true
}

// TestGrafanaAfterRotation: a request signed with a Grafana secret rotated in since the last
// read is accepted on its first try, after one re-read; the old secret is then refused.
func TestGrafanaAfterRotation(t *testing.T) {
	const oldSecret, newSecret = "old-grafana-secret", "new-grafana-secret"
	body := []byte(referenceGrafana)
	secret := &rotatingSecret{cur: oldSecret, next: newSecret}
	h, act, _ := setup(t, func(c *alerts.Config) { c.GrafanaSecret, c.GrafanaSecrets = "", secret })
	if status, _ := post(t, h.Grafana(), grafanaHeader(newSecret, unix(testNow), body), body); status != http.StatusOK {
		t.Fatalf("signed with the rotated secret: got %d; want 200", status)
	}
	if secret.rechecks != 1 {
		t.Errorf("re-reads: got %d; want 1", secret.rechecks)
	}
	if status, _ := post(t, h.Grafana(), grafanaHeader(oldSecret, unix(testNow), body), body); status != http.StatusUnauthorized {
		t.Errorf("signed with the old secret after the rotation: got %d; want 401", status)
	}
	checkCalls(t, act, 1, 0, 0)
}
