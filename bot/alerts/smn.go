package alerts

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

const (
	sourceSMN = "smn"

	smnNotification   = "Notification"
	smnSubscribe      = "SubscriptionConfirmation"
	smnUnsubscribe    = "UnsubscribeConfirmation"
	headerSMNTopicURN = "X-SMN-TOPIC-URN"

	maxCertBody   = 64 << 10 // a PEM certificate is a few KiB
	certCacheSize = 16       // SMN signs with one certificate per region
	// fetchTimeout bounds the certificate download and the confirmation GET, leaving the rest of
	// actionTimeout to Actions (posting the alert, or the subscribe URL for a human).
	fetchTimeout = 2 * time.Second
)

// smnHost is the only host SMN signing certificates and subscription URLs are accepted from.
var smnHost = regexp.MustCompile(`^smn\.[a-z]{2}(-[a-z0-9]+)*-[0-9]+\.myhuaweicloud\.com$`)

func isSMNHost(host string) bool { return smnHost.MatchString(host) }

// smnMessage is an SMN HTTPS push: a notification or a (un)subscription confirmation.
type smnMessage struct {
	Type             string `json:"type"`
	Signature        string `json:"signature"`
	SignatureVersion string `json:"signature_version"`
	Subject          string `json:"subject"`
	TopicURN         string `json:"topic_urn"`
	MessageID        string `json:"message_id"`
	Message          string `json:"message"`
	SubscribeURL     string `json:"subscribe_url"`
	SigningCertURL   string `json:"signing_cert_url"`
	Timestamp        string `json:"timestamp"`
}

// cesAlarm is the part of a Cloud Eye alarm, carried as a JSON string in message, a decision needs.
type cesAlarm struct {
	IsAlarm       bool   `json:"IsAlarm"`
	AlarmRuleName string `json:"AlarmRuleName"`
	ResourceID    string `json:"ResourceId"`
	ResourceName  string `json:"ResourceName"`
	MetricName    string `json:"MetricName"`
	AlarmLevel    string `json:"AlarmLevel"`
	RegionID      string `json:"RegionId"`
}

// ParseSMNMap parses DR_SMN_MAP: comma-separated "alarmRuleNameOrResourceId=<dr id>" pairs. SMN
// alarms name a cluster or a rule, never a DR pair, so the mapping is configuration.
func ParseSMNMap(s string) (map[string]string, error) {
	m := make(map[string]string)
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		key, id, ok := strings.Cut(pair, "=")
		key, id = strings.TrimSpace(key), strings.TrimSpace(id)
		if !ok || key == "" {
			return nil, fmt.Errorf("smn map: entry %q: want alarmRuleNameOrResourceId=<dr id>", pair)
		}
		if err := drapi.ValidateID(id); err != nil {
			return nil, fmt.Errorf("smn map: %q: %w", key, err)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("smn map: %q named twice", key)
		}
		m[key] = id
	}
	return m, nil
}

// SMN serves POST /alerts/smn. The signature lives in the body, so the JSON envelope is decoded
// before it is verified; nothing in it is acted on, and no URL in it fetched, until the topic is
// allow-listed and the URL's host is SMN's.
func (h *Handler) SMN() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = sourceSMN
		if !h.admit(w, r, source, len(h.topics) > 0, "SMN topics") {
			return
		}
		if t := r.Header.Get(headerSMNTopicURN); t != "" && !h.topics[t] {
			h.reject(w, r, source, http.StatusForbidden, "topic not accepted")
			return
		}
		body, status, err := readBody(w, r)
		if err != nil {
			h.reject(w, r, source, status, err.Error())
			return
		}
		var m smnMessage
		if err := json.Unmarshal(body, &m); err != nil {
			h.reject(w, r, source, http.StatusBadRequest, "malformed JSON body")
			return
		}
		if !h.topics[m.TopicURN] {
			h.reject(w, r, source, http.StatusForbidden, "topic not accepted")
			return
		}
		if t := r.Header.Get(headerSMNTopicURN); t != "" && t != m.TopicURN {
			h.reject(w, r, source, http.StatusBadRequest, "topic header and body disagree")
			return
		}
		toSign, err := m.stringToSign()
		if err != nil {
			h.reject(w, r, source, http.StatusBadRequest, err.Error())
			return
		}
		if !h.smnURLOK(m.SigningCertURL) {
			h.reject(w, r, source, http.StatusForbidden, "signing certificate URL not on an SMN host")
			return
		}
		if m.Type == smnSubscribe && !h.smnURLOK(m.SubscribeURL) {
			h.reject(w, r, source, http.StatusForbidden, "subscribe URL not on an SMN host")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
		defer cancel()
		cert, err := h.cert(ctx, m.SigningCertURL)
		if err != nil {
			// Nothing was done and the certificate may be back on SMN's retry.
			h.reject(w, r, source, http.StatusServiceUnavailable, err.Error())
			return
		}
		sig, err := base64.StdEncoding.DecodeString(m.Signature)
		if err != nil || cert.CheckSignature(cert.SignatureAlgorithm, []byte(toSign), sig) != nil {
			h.reject(w, r, source, http.StatusUnauthorized, "wrong signature")
			return
		}

		// The timestamp is signed: a captured alarm replayed later, or to another instance,
		// must not propose or start a pause again. Confirmations stay valid for SMN's 48 hours.
		if m.Type == smnNotification {
			ts, err := time.Parse(time.RFC3339, m.Timestamp)
			if err != nil {
				h.reject(w, r, source, http.StatusBadRequest, "timestamp: want RFC 3339")
				return
			}
			if d := h.now().Sub(ts); d > smnWindow || d < -smnWindow {
				h.reject(w, r, source, http.StatusUnauthorized, "notification timestamp outside the accepted window")
				return
			}
		}

		switch m.Type {
		case smnSubscribe:
			res, err := h.confirm(ctx, m)
			h.audit(ctx, source, res, err)
			if err != nil {
				h.reject(w, r, source, http.StatusServiceUnavailable, "subscription neither confirmed nor forwarded; retry")
				return
			}
			writeJSON(w, http.StatusOK, res)
		case smnUnsubscribe:
			res := result{Decision: decisionIgnored, Reason: "unsubscribe confirmation"}
			h.audit(ctx, source, res, nil)
			writeJSON(w, http.StatusOK, res)
		default:
			h.answer(ctx, w, h.smnBatch(m))
		}
	})
}

// stringToSign builds SMN's signed text: "key\nvalue\n" for a fixed list of keys per type.
func (m smnMessage) stringToSign() (string, error) {
	if m.SignatureVersion != "" && m.SignatureVersion != "v1" {
		return "", fmt.Errorf("unsupported signature_version %q", m.SignatureVersion)
	}
	var fields [][2]string
	switch m.Type {
	case smnNotification:
		fields = [][2]string{{"message", m.Message}, {"message_id", m.MessageID}}
		if m.Subject != "" {
			fields = append(fields, [2]string{"subject", m.Subject})
		}
		fields = append(fields, [][2]string{{"timestamp", m.Timestamp}, {"topic_urn", m.TopicURN}, {"type", m.Type}}...)
	case smnSubscribe, smnUnsubscribe:
		fields = [][2]string{
			{"message", m.Message}, {"message_id", m.MessageID}, {"subscribe_url", m.SubscribeURL},
			{"timestamp", m.Timestamp}, {"topic_urn", m.TopicURN}, {"type", m.Type},
		}
	default:
		return "", fmt.Errorf("unknown message type %q", m.Type)
	}
	var s strings.Builder
	for _, f := range fields {
		s.WriteString(f[0] + "\n" + f[1] + "\n")
	}
	return s.String(), nil
}

// smnURLOK reports whether raw is an https URL on an SMN host (or the host the test seam accepts).
func (h *Handler) smnURLOK(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.User == nil && u.Host != "" && h.hostOK(u.Host)
}

// confirm GETs the subscribe URL; when that fails it hands the URL to a human in the channel.
func (h *Handler) confirm(ctx context.Context, m smnMessage) (result, error) {
	getCtx, cancel := context.WithTimeout(ctx, fetchTimeout)
	err := h.get(getCtx, m.SubscribeURL, func(io.Reader) error { return nil })
	cancel()
	if err == nil {
		return result{Decision: decisionConfirmed, Reason: "subscription confirmed"}, nil
	}
	text := fmt.Sprintf("SMN subscription to topic %s could not be confirmed automatically (%v). "+
		"A human should confirm it within 48 h by opening: %s", m.TopicURN, err, m.SubscribeURL)
	if nerr := h.act.Notify(ctx, h.cfg.Channel, text); nerr != nil {
		return result{Decision: decisionForwarded}, fmt.Errorf("confirm: %w; notify: %w", err, nerr)
	}
	return result{Decision: decisionForwarded, Reason: "confirmation failed; URL posted for a human"}, nil
}

// smnBatch turns a verified notification into a batch of at most one alert.
func (h *Handler) smnBatch(m smnMessage) batch {
	b := batch{source: sourceSMN, title: m.Subject}
	var envelope struct {
		Data *cesAlarm `json:"data"`
		cesAlarm
	}
	if err := json.Unmarshal([]byte(m.Message), &envelope); err != nil {
		return b // not a CES alarm: nothing names a DR pair
	}
	alarm := envelope.cesAlarm
	if envelope.Data != nil {
		alarm = *envelope.Data
	}
	if !alarm.IsAlarm {
		return b // a recovery never pauses
	}
	if b.title == "" {
		b.title = alarm.AlarmRuleName
	}
	id, ok := h.cfg.SMNMap[alarm.AlarmRuleName]
	if !ok {
		id = h.cfg.SMNMap[alarm.ResourceID]
	}
	labels := map[string]string{}
	for k, v := range map[string]string{
		"alarm_rule_name": alarm.AlarmRuleName, "resource_id": alarm.ResourceID,
		"resource_name": alarm.ResourceName, "metric_name": alarm.MetricName,
		"alarm_level": alarm.AlarmLevel, "region_id": alarm.RegionID,
	} {
		if v != "" {
			labels[k] = v
		}
	}
	key := sourceSMN + "|" + m.MessageID
	if m.MessageID == "" {
		key = sourceSMN + "|signature|" + m.Signature // unique per message, and verified
	}
	b.alerts = []firingAlert{{key: key, id: id, labels: labels}}
	return b
}

// cert returns the certificate at rawURL, from the cache when it was fetched before.
func (h *Handler) cert(ctx context.Context, rawURL string) (*x509.Certificate, error) {
	if c := h.certs.get(rawURL); c != nil {
		return c, nil
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	var cert *x509.Certificate
	err := h.get(ctx, rawURL, func(body io.Reader) error {
		data, err := io.ReadAll(io.LimitReader(body, maxCertBody+1))
		if err != nil {
			return err
		}
		if len(data) > maxCertBody {
			return errors.New("certificate larger than 64 KiB")
		}
		der := data
		if block, _ := pem.Decode(data); block != nil {
			der = block.Bytes
		}
		cert, err = x509.ParseCertificate(der)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	h.certs.put(rawURL, cert)
	return cert, nil
}

// get GETs rawURL and hands a 200 body to read; the URL has passed smnURLOK.
func (h *Handler) get(ctx context.Context, rawURL string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return redactURL(err)
	}
	defer resp.Body.Close()
	defer io.Copy(io.Discard, io.LimitReader(resp.Body, maxCertBody))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("http %d", resp.StatusCode)
	}
	return read(resp.Body)
}

// redactURL drops the URL from a transport error: a subscribe URL carries a token.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// certCache keeps certificates by URL. It is small and cleared when full: SMN uses a handful.
type certCache struct {
	max   int
	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

func newCertCache(max int) *certCache {
	return &certCache{max: max, certs: make(map[string]*x509.Certificate)}
}

func (c *certCache) get(url string) *x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.certs[url]
}

func (c *certCache) put(url string, cert *x509.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.certs) >= c.max {
		clear(c.certs)
	}
	c.certs[url] = cert
}
