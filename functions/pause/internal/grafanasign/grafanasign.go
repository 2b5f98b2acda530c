// Package grafanasign signs webhook requests the way a Grafana webhook contact point with an
// HMAC secret and a timestamp header does (grafana/alerting, http/hmac.go), so the recorded
// event in events/, `make events` and the tests produce what Grafana would send. It only signs:
// verifying is the alert route's job.
package grafanasign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LocalSecret is the HMAC secret of the recorded event and of the tests' local runs. It is
// public: never configure it for a real contact point.
const LocalSecret = "local-grafana-secret"

// Header names the product expects Grafana to sign with (the contact point's header and
// timestampHeader settings).
const (
	HeaderSignature = "X-Grafana-Alerting-Signature"
	HeaderTimestamp = "X-Grafana-Alerting-Timestamp"
)

// Sign returns the timestamp and signature header values for body sent at t:
// hex HMAC-SHA256(secret, timestamp ":" body).
func Sign(secret string, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + ":"))
	mac.Write(body)
	return timestamp, hex.EncodeToString(mac.Sum(nil))
}

// ErrNotGrafana is returned by ResignEvent for an event that carries no Grafana signature and
// timestamp headers.
var ErrNotGrafana = errors.New("grafanasign: event has no grafana signature and timestamp headers")

// ResignEvent re-signs a recorded Lambda HTTP event whose headers carry a Grafana signature and
// timestamp, for time t. Only the two header values change, wherever they appear (REST API v1
// events repeat them in multiValueHeaders): the rest of the file is kept byte for byte.
func ResignEvent(event []byte, secret string, t time.Time) ([]byte, error) {
	var ev struct {
		Headers         map[string]string `json:"headers"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, fmt.Errorf("grafanasign: decode event: %w", err)
	}
	var oldTS, oldSig string
	for k, v := range ev.Headers {
		switch {
		case strings.EqualFold(k, HeaderTimestamp):
			oldTS = v
		case strings.EqualFold(k, HeaderSignature):
			oldSig = v
		}
	}
	if oldTS == "" || oldSig == "" {
		return nil, ErrNotGrafana
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("grafanasign: decode body: %w", err)
		}
	}
	ts, sig := Sign(secret, t, body)
	// Quoted, so only the header values match: a bare number could also occur in the body.
	out := bytes.ReplaceAll(event, []byte(strconv.Quote(oldTS)), []byte(strconv.Quote(ts)))
	return bytes.ReplaceAll(out, []byte(strconv.Quote(oldSig)), []byte(strconv.Quote(sig))), nil
}
