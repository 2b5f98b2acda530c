// Package slacksign signs requests the way Slack does (v0 signatures), so the recorded events in
// events/, `make events`, the demo and the tests all produce what Slack would send, with one piece
// of code. It only signs: verifying is the bot's job.
package slacksign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dws-dr/drpause/bot"
)

// LocalSecret is the signing secret of the recorded events and of `make run`. It is public and
// opens nothing but a local run: never configure it for a real Slack app.
const LocalSecret = "local-signing-secret"

// Header names Slack signs with.
const (
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	HeaderSignature = "X-Slack-Signature"
)

// Sign returns the X-Slack-Request-Timestamp and X-Slack-Signature values for body sent at t.
func Sign(secret string, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignRequest sets the signature headers of r for body at t.
func SignRequest(r *http.Request, secret string, t time.Time, body []byte) {
	ts, sig := Sign(secret, t, body)
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderSignature, sig)
}

// ErrNotSlack is returned by ResignEvent for an event that carries no Slack signature.
var ErrNotSlack = errors.New("slacksign: event has no slack signature header")

// ResignEvent re-signs a recorded Lambda HTTP event (Function URL / HTTP API v2 or REST API v1)
// whose headers carry a Slack signature, for time t. If rewrite is not nil it first replaces the
// decoded body (tests use it to point response_url at a local server). The buttons of a click
// get fresh values sealed with secret at t, as a card posted at t would carry. The body keeps
// its encoding. Keys of the returned JSON are sorted.
func ResignEvent(event []byte, secret string, t time.Time, rewrite func([]byte) []byte) ([]byte, error) {
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("slacksign: decode event: %w", err)
	}
	headers, _ := ev["headers"].(map[string]any)
	tsKey, sigKey := findKey(headers, HeaderTimestamp), findKey(headers, HeaderSignature)
	if tsKey == "" || sigKey == "" {
		return nil, ErrNotSlack
	}
	raw, _ := ev["body"].(string)
	b64, _ := ev["isBase64Encoded"].(bool)
	body := []byte(raw)
	if b64 {
		var err error
		if body, err = base64.StdEncoding.DecodeString(raw); err != nil {
			return nil, fmt.Errorf("slacksign: decode body: %w", err)
		}
	}
	if rewrite != nil {
		body = rewrite(body)
	}
	body = resealButtons(body, secret, t)
	if b64 {
		ev["body"] = base64.StdEncoding.EncodeToString(body)
	} else {
		ev["body"] = string(body)
	}
	ts, sig := Sign(secret, t, body)
	headers[tsKey], headers[sigKey] = ts, sig
	// REST API v1 events repeat every header in multiValueHeaders.
	if mv, ok := ev["multiValueHeaders"].(map[string]any); ok {
		if k := findKey(mv, HeaderTimestamp); k != "" {
			mv[k] = []string{ts}
		}
		if k := findKey(mv, HeaderSignature); k != "" {
			mv[k] = []string{sig}
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // form bodies are full of '&'; keep the files readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(ev); err != nil {
		return nil, fmt.Errorf("slacksign: encode event: %w", err)
	}
	return out.Bytes(), nil
}

// resealButtons gives the actions of an interaction payload fresh button values, made with
// secret at t for the DR id and requester the recorded value names: a recorded value's MAC was
// made with another key, or has expired. Any other body is returned as it is.
func resealButtons(body []byte, secret string, t time.Time) []byte {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		return body
	}
	var payload map[string]any
	dec := json.NewDecoder(strings.NewReader(form.Get("payload")))
	dec.UseNumber()
	if dec.Decode(&payload) != nil {
		return body
	}
	actions, _ := payload["actions"].([]any)
	for _, a := range actions {
		action, _ := a.(map[string]any)
		raw, _ := action["value"].(string)
		var v struct {
			ID string `json:"id"`
			By string `json:"by"`
		}
		if json.Unmarshal([]byte(raw), &v) != nil || v.ID == "" {
			continue
		}
		action["value"] = bot.ButtonValue(secret, v.ID, v.By, t)
	}
	out, err := json.Marshal(payload)
	if err != nil {
		return body
	}
	form.Set("payload", string(out))
	return []byte(form.Encode())
}

// findKey returns the key of m equal to name without regard to case, or "".
func findKey(m map[string]any, name string) string {
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}
