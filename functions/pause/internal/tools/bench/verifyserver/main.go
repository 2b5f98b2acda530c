// Command verifyserver does the least any correct Slack endpoint does: it verifies the v0
// signature with slack-go over the capped body, parses the slash command form (or, on
// /slack/interactions, the click's JSON payload) and answers 200. drpause's CPU time per slash
// command and its ack latency are compared with it. It listens like bareserver and takes the
// signing secret from SLACK_SIGNING_SECRET.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"

	"github.com/slack-go/slack"
)

func main() {
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		fmt.Fprintln(os.Stderr, "verifyserver: SLACK_SIGNING_SECRET: required")
		os.Exit(1)
	}
	if err := serve(handler(secret)); err != nil {
		fmt.Fprintln(os.Stderr, "verifyserver:", err)
		os.Exit(1)
	}
}

func handler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		v, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		v.Write(body) // a hash: never fails
		if err := v.Ensure(); err != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "malformed form", http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/slack/interactions" {
			var cb slack.InteractionCallback
			if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
				http.Error(w, "malformed interaction payload", http.StatusBadRequest)
				return
			}
		} else if _, err := slack.SlashCommandParse(&http.Request{Method: http.MethodPost, Form: form, PostForm: form}); err != nil {
			http.Error(w, "malformed slash command", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func serve(h http.Handler) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", os.Getenv("PORT")))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Printf("{\"msg\":\"listening\",\"addr\":%q}\n", ln.Addr().String())
	return http.Serve(ln, h)
}
