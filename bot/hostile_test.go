package bot

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// hostileDWS is a DR API whose every text field, and every X-Request-Id, says hostile. The DR
// ids of the paths decide what it does: a lookup of failingID fails, a pause of refusedID is
// refused (and its status then reads hostile), any other pause is accepted under a hostile id.
func hostileDWS(t *testing.T, refusedID, failingID string) *drapi.Client {
	t.Helper()
	var (
		mu     sync.Mutex
		paused = map[string]bool{}
	)
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("X-Request-Id", hostile)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	refuse := func(w http.ResponseWriter) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error_code": hostile, "error_msg": hostile})
	}
	cluster := map[string]string{"id": hostile, "name": hostile, "region": hostile, "status": hostile, "last_success_time": hostile}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/{project}/disaster-recoveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"disaster_recovery": []map[string]string{
			{"id": hostile, "name": hostile, "status": hostile}, {"id": goldenID, "name": hostile, "status": "running"}}})
	})
	mux.HandleFunc("GET /v2/{project}/disaster-recovery/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if id == failingID {
			refuse(w)
			return
		}
		mu.Lock()
		status := "running"
		if paused[id] {
			status = map[bool]string{true: hostile, false: "stopped"}[id == refusedID]
		}
		mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"disaster_recovery": map[string]any{
			"id": hostile, "name": hostile, "dr_type": hostile, "status": status, "dr_sync_period": hostile,
			"start_time": hostile, "primary_cluster": cluster, "standby_cluster": cluster}})
	})
	mux.HandleFunc("POST /v2/{project}/disaster-recovery/{id}/pause", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		mu.Lock()
		paused[id] = true
		mu.Unlock()
		if id == refusedID {
			refuse(w)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"disaster_recovery": map[string]string{"id": hostile}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := drapi.New(drapi.Config{ProjectID: drsim.ProjectID, Endpoint: srv.URL, Credentials: drsim.LocalCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHostileDRAPIPingsNobody: whatever the DR API puts in ids, names, statuses, codes, messages
// and request ids, no message the bot sends (status, list, card, lookup failure, pause result,
// through response_url or chat.update) holds an unescaped mention or link.
func TestHostileDRAPIPingsNobody(t *testing.T) {
	const (
		refusedID = goldenID2
		failingID = "0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d65"
	)
	for _, token := range []string{"", testToken} {
		t.Run("token="+token, func(t *testing.T) {
			e := newEnv(t, hostileDWS(t, refusedID, failingID), func(c *Config) { c.BotToken = token })
			var sent []string
			for _, text := range []string{"status " + goldenID, "list", "status " + failingID, "pause " + failingID} {
				sent = append(sent, mrkdwnTexts(t, renderJSON(t, e.command(t, "U1", chanID, text)))...)
			}
			for _, id := range []string{goldenID, refusedID} {
				card := e.command(t, "U1", chanID, "pause "+id)
				sent = append(sent, mrkdwnTexts(t, renderJSON(t, card))...)
				e.click(t, "U2", card, id, actionPause, "click-"+id)
				final, before := e.slack.Until(t, isFinal)
				for _, p := range append(before, final) {
					sent = append(sent, p.Text)
					sent = append(sent, mrkdwnTexts(t, p.JSON())...)
				}
			}
			all := strings.Join(sent, "\n")
			for _, bad := range []string{"<!", "<http"} {
				if strings.Contains(all, bad) {
					t.Errorf("a message holds %q unescaped:\n%s", bad, all)
				}
			}
			// What the DR API said is there, escaped: the test saw the hostile answers.
			contains(t, "messages", all, "&lt;!channel&gt; &lt;https://x|y&gt;",
				"is paused", "(not a DR id: DWS gives UUIDs)", "DWS refused: `&lt;!channel&gt;", "Could not look up DR")
		})
	}
}

// mrkdwnTexts returns every text of a message's JSON that Slack reads as mrkdwn: the message's
// own text and the text objects of type mrkdwn. plain_text (a header, a button, a confirm
// dialog) is shown as written, mentions and links included, so it cannot ping anyone.
func mrkdwnTexts(t *testing.T, data string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if text, ok := v["text"].(string); ok && (v["type"] == nil || v["type"] == "mrkdwn") {
				out = append(out, text)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(v)
	return out
}
