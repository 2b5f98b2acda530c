package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// webhookMessage is the envelope Alertmanager (version "4") and Grafana (version "1") both send.
// Only the fields a decision needs are kept; unknown ones are ignored and missing ones are zero.
type webhookMessage struct {
	Status          string            `json:"status"`
	Alerts          []webhookAlert    `json:"alerts"`
	CommonLabels    map[string]string `json:"commonLabels"`
	ExternalURL     string            `json:"externalURL"`
	TruncatedAlerts int               `json:"truncatedAlerts"`
	Title           string            `json:"title"` // Grafana only
}

type webhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	StartsAt     string            `json:"startsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	SilenceURL   string            `json:"silenceURL"`   // Grafana only
	DashboardURL string            `json:"dashboardURL"` // Grafana only
	PanelURL     string            `json:"panelURL"`     // Grafana only
}

// grafanaSynthetic are the alerts Grafana makes up when a data source fails: a broken data source
// must never pause DR.
var grafanaSynthetic = map[string]bool{"DatasourceNoData": true, "DatasourceError": true}

const (
	headerGrafanaSignature = "X-Grafana-Alerting-Signature"
	headerGrafanaTimestamp = "X-Grafana-Alerting-Timestamp"
	sourceAlertmanager     = "alertmanager"
	sourceGrafana          = "grafana"
)

// Alertmanager serves POST /alerts/alertmanager, authenticated by Authorization: Bearer.
func (h *Handler) Alertmanager() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = sourceAlertmanager
		if !h.admit(w, r, source, h.cfg.AlertBearer != nil, "alert token") {
			return
		}
		if !h.cfg.AlertBearer(r.Header.Get("Authorization")) {
			h.reject(w, r, source, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		body, status, err := readBody(w, r)
		if err != nil {
			h.reject(w, r, source, status, err.Error())
			return
		}
		h.serveWebhook(w, r, source, body, "")
	})
}

// Grafana serves POST /alerts/grafana, authenticated by Grafana's HMAC signature over the
// timestamp header and the body. A request without the timestamp is refused: its signature
// would never expire, so a captured request could be replayed forever.
func (h *Handler) Grafana() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = sourceGrafana
		if !h.admit(w, r, source, h.cfg.GrafanaSecrets != nil, "grafana secret") {
			return
		}
		sig, err := hex.DecodeString(r.Header.Get(headerGrafanaSignature))
		if err != nil || len(sig) != sha256.Size {
			h.reject(w, r, source, http.StatusUnauthorized, "missing or malformed signature")
			return
		}
		ts := r.Header.Get(headerGrafanaTimestamp)
		if ts == "" {
			h.reject(w, r, source, http.StatusUnauthorized, "missing "+headerGrafanaTimestamp+
				": set the contact point's HMAC timestamp header (timestampHeader) to "+headerGrafanaTimestamp)
			return
		}
		if err := h.checkTimestamp(ts); err != nil {
			h.reject(w, r, source, http.StatusUnauthorized, err.Error())
			return
		}
		body, status, err := readBody(w, r)
		if err != nil {
			h.reject(w, r, source, status, err.Error())
			return
		}
		if !rotating.Verify(r.Context(), h.cfg.GrafanaSecrets, func(secret string) bool {
			return hmac.Equal(sig, grafanaMAC(secret, ts, body))
		}) {
			h.reject(w, r, source, http.StatusUnauthorized, "wrong signature")
			return
		}
		// The signature covers the timestamp: the same signed request replayed within the
		// window, to any instance, is a duplicate.
		h.serveWebhook(w, r, source, body, "grafana signature "+hex.EncodeToString(sig))
	})
}

// grafanaMAC is HMAC-SHA256(secret, [timestamp ":"] body), as grafana/alerting signs webhooks
// (http/hmac.go).
func grafanaMAC(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	if timestamp != "" {
		m.Write([]byte(timestamp + ":"))
	}
	m.Write(body)
	return m.Sum(nil)
}

// checkTimestamp bounds replays of a signed request to the window around now.
func (h *Handler) checkTimestamp(ts string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("malformed %s", headerGrafanaTimestamp)
	}
	if d := h.now().Sub(time.Unix(sec, 0)); d > grafanaWindow || d < -grafanaWindow {
		return fmt.Errorf("%s outside the %s window", headerGrafanaTimestamp, grafanaWindow)
	}
	return nil
}

// serveWebhook decodes an authenticated Alertmanager or Grafana body and decides on it;
// replayKey, if not empty, names the signed request itself.
func (h *Handler) serveWebhook(w http.ResponseWriter, r *http.Request, source string, body []byte, replayKey string) {
	var m webhookMessage
	if err := json.Unmarshal(body, &m); err != nil {
		h.reject(w, r, source, http.StatusBadRequest, "malformed JSON body")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
	defer cancel()
	b := webhookBatch(source, m)
	b.replayKey = replayKey
	h.answer(ctx, w, b)
}

// webhookBatch keeps the firing alerts: the top-level status is "firing" as soon as one alert fires.
func webhookBatch(source string, m webhookMessage) batch {
	b := batch{source: source, truncated: m.TruncatedAlerts, title: m.Title}
	for _, a := range m.Alerts {
		if a.Status != "firing" {
			continue
		}
		if source == sourceGrafana && grafanaSynthetic[a.Labels[alertnameKey]] {
			continue
		}
		b.alerts = append(b.alerts, firingAlert{
			key:    source + "|" + alertIdentity(a) + "|" + a.StartsAt,
			id:     strings.TrimSpace(a.Labels[idLabel]),
			labels: a.Labels,
			links: []bot.Link{
				{Text: "Source", URL: a.GeneratorURL},
				{Text: "Silence", URL: a.SilenceURL},
				{Text: "Dashboard", URL: a.DashboardURL},
				{Text: "Panel", URL: a.PanelURL},
			},
		})
	}
	if b.title == "" {
		b.title = m.CommonLabels[alertnameKey]
	}
	if b.title == "" && len(b.alerts) > 0 {
		b.title = b.alerts[0].labels[alertnameKey]
	}
	name := "Alertmanager"
	if source == sourceGrafana {
		name = "Grafana"
	}
	b.links = []bot.Link{{Text: name, URL: m.ExternalURL}}
	return b
}

// alertIdentity is the alert's fingerprint, or its sorted labels when the sender gave none.
func alertIdentity(a webhookAlert) string {
	if a.Fingerprint != "" {
		return a.Fingerprint
	}
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s strings.Builder
	for _, k := range keys {
		s.WriteString(strconv.Quote(k) + "=" + strconv.Quote(a.Labels[k]) + ",")
	}
	return s.String()
}
