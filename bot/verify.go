package bot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// maxBodyBytes caps what is read of a Slack request. Slash commands and button payloads are a
// few KiB; a card's payload carries its blocks, which stay far below this.
const maxBodyBytes = 64 << 10

// readVerified reads the request body once, under maxBodyBytes, and checks its Slack v0
// signature over exactly those bytes. When it reports false it has already answered: 405, 413,
// 401, or 200 with an empty body for an ssl_check.
//
// ssl_check requests are answered 200 whether signed or not: Slack's signing of them is
// unverified, and answering 401 could make Slack report the endpoint as broken. They act on
// nothing, and the body of an unsigned request is only parsed after the signature failed and
// only to tell an ssl_check from a forgery.
func (b *Bot) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return nil, false
	}
	if err := b.verify(r.Context(), r.Header, body); err != nil {
		if isSSLCheck(body) {
			w.WriteHeader(http.StatusOK)
			return nil, false
		}
		// Never the body: it could be anything, and a valid one would be replayable.
		b.log.LogAttrs(r.Context(), slog.LevelWarn, "slack request refused",
			slog.String("event", "invalid_signature"),
			slog.String("path", r.URL.Path),
			slog.String("error", err.Error()),
			slog.Int("body_bytes", len(body)))
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return nil, false
	}
	if isSSLCheck(body) {
		w.WriteHeader(http.StatusOK)
		return nil, false
	}
	return body, true
}

// verify checks the request's signature with the signing secret in force. When the signature
// itself is wrong (rather than missing, malformed or expired), the secret may have been rotated
// since it was read: the check is made once more after a re-read, if that brought a new value.
func (b *Bot) verify(ctx context.Context, h http.Header, body []byte) error {
	secret := b.secret.Current()
	mismatch, err := verifyWith(secret, h, body)
	if (mismatch || secret == "") && b.secret.Recheck(ctx, secret) {
		_, err = verifyWith(b.secret.Current(), h, body)
	}
	return err
}

// verifyWith checks the signature with secret. mismatch reports a well-formed request in time,
// signed with another secret.
func verifyWith(secret string, h http.Header, body []byte) (mismatch bool, err error) {
	v, err := slack.NewSecretsVerifier(h, secret)
	if err != nil {
		return false, err
	}
	if _, err := v.Write(body); err != nil {
		return false, err
	}
	err = v.Ensure()
	return err != nil, err
}

// isSSLCheck reports whether body is Slack's ssl_check probe. The substring test keeps the form
// parser away from bodies that cannot be one.
func isSSLCheck(body []byte) bool {
	if !bytes.Contains(body, []byte("ssl_check=1")) {
		return false
	}
	form, err := url.ParseQuery(string(body))
	return err == nil && form.Get("ssl_check") == "1"
}
