package slacktest

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
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LocalSecret is the signing secret of the recorded events, `make run` and the demo. It is
// public and opens nothing but a local run: never configure it for a real Slack app.
const LocalSecret = "local-signing-secret"

// The headers Slack signs requests with.
const (
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	HeaderSignature = "X-Slack-Signature"
)

// Sign returns the X-Slack-Request-Timestamp and X-Slack-Signature values of body sent at t:
// "v0=" and the hex HMAC-SHA256, keyed with secret, of "v0:{timestamp}:{body}".
func Sign(secret string, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return timestamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignRequest sets the signature headers of r for body sent at t.
func SignRequest(r *http.Request, secret string, t time.Time, body []byte) {
	ts, sig := Sign(secret, t, body)
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderSignature, sig)
}

// NewRequest returns a form POST to target carrying body, signed with secret as sent at t, for
// passing to an http.Handler as httptest.NewRequest does.
func NewRequest(secret string, t time.Time, target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	SignRequest(r, secret, t, []byte(body))
	return r
}

// ErrNotSlack is returned by ResignEvent for an event that carries no Slack signature.
var ErrNotSlack = errors.New("slacktest: event has no slack signature header")

// Resign says how ResignEvent changes an event besides its signature.
type Resign struct {
	// Rewrite, when set, replaces the decoded body first (tests point response_url at a double).
	Rewrite func(body []byte) []byte
	// Button, when set, gives each button of a click a fresh value for the DR id and requester
	// its recorded value names ({"id":…,"by":…}): a recorded value's MAC was made with another
	// key, or has expired. bot.ButtonValue makes one.
	Button func(id, requester string) string
}

// ResignEvent re-signs a recorded Lambda HTTP event (Function URL / HTTP API v2 or REST API v1)
// whose headers carry a Slack signature, for time t. The body keeps its encoding; keys of the
// returned JSON are sorted.
func ResignEvent(event []byte, secret string, t time.Time, opt Resign) ([]byte, error) {
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("slacktest: decode event: %w", err)
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
			return nil, fmt.Errorf("slacktest: decode body: %w", err)
		}
	}
	if opt.Rewrite != nil {
		body = opt.Rewrite(body)
	}
	if opt.Button != nil {
		body = resealButtons(body, opt.Button)
	}
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
		return nil, fmt.Errorf("slacktest: encode event: %w", err)
	}
	return out.Bytes(), nil
}

// resealButtons gives the actions of an interaction payload the values seal makes for the DR
// id and requester their recorded values name. Any other body is returned as it is.
func resealButtons(body []byte, seal func(id, requester string) string) []byte {
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
		action["value"] = seal(v.ID, v.By)
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
