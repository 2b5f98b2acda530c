package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dws-dr/drpause/pkg/drsim"
)

// TestDRRedirectNotFollowed: the binary's DR API client must not follow a redirect, or the
// signed request, X-Security-Token included, would go wherever the redirect points.
func TestDRRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	var redirects atomic.Int32
	dws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirects.Add(1)
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer dws.Close()

	srv := startHTTP(t, []string{
		"DR_ENDPOINT=" + dws.URL, "DR_PROJECT_ID=" + drsim.ProjectID,
		"HUAWEICLOUD_SDK_AK=" + drsim.AccessKey, "HUAWEICLOUD_SDK_SK=" + drsim.SecretKey,
		"HUAWEICLOUD_SDK_SECURITY_TOKEN=token-that-must-stay-home",
		"DR_INVOKE_TOKEN=local-invoke-token",
	})
	body := []byte(`{"disaster_recovery_id":"` + drsim.SeedRunning + `","dry_run":true}`)
	code, answer := post(t, srv.url+"/invoke", "application/json", body,
		http.Header{"Authorization": {"Bearer local-invoke-token"}})
	if code != http.StatusBadGateway {
		t.Errorf("got %d %s; want 502 for a redirect from the DR API", code, answer)
	}
	if redirects.Load() == 0 {
		t.Fatal("the DR endpoint was never called: the test proves nothing")
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests; want 0", n)
	}
	if bytes.Contains(answer, []byte("token-that-must-stay-home")) || strings.Contains(srv.out.String(), "token-that-must-stay-home") {
		t.Error("the security token leaked into the answer or the logs")
	}
}
