package alerts

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
	// certRetryAfter is how long a failed certificate fetch is remembered: SMN retries a push
	// within seconds, and each retry must not cost another fetch of a URL that just failed.
	certRetryAfter = time.Minute
	// maxQuoted bounds what a message to humans quotes of an SMN message or URL.
	maxQuoted = 500
)

// Hosts and paths of SMN's HTTPS side. Sources: the captured messages in public receivers
// (apache/hertzbeat's HuaweiCloudExternAlertServiceTest; a Huawei Cloud LA "CloudEye integration
// with Dataminer" guide) all carry signing_cert_url
// https://smn.<region>.myhuaweicloud.com/smn/SMN_<region>_<32 hex>.pem and a subscribe_url on
// https://console.huaweicloud.com/smn/subscription/confirm?... or
// https://sa-brazil-1-console.huaweicloud.com/smn/subscription/confirm?...; the SDK's SMN
// endpoints add smn.cn-north-2.myhuaweicloud.cn and smn.<region>.myhuaweicloud.eu (UNVERIFIED: no
// captured message from those hosts).
//
// The patterns are compiled on first use: a counted repetition such as {1,64} compiles into as
// many copies, and compiling these at start took about a millisecond of every cold start, for a
// route most deployments leave off.
var (
	smnRegion   = lazyRegexp(`^[a-z]{2}(-[a-z0-9]+)*-[0-9]+$`)
	smnCertPath = lazyRegexp(`^/smn/SMN_([a-z0-9-]+)_[0-9a-f]{1,64}\.pem$`)
	smnCertTLDs = []string{"com", "cn", "eu"}
	hexID       = lazyRegexp(`^[0-9a-fA-F]{1,64}$`)
)

// lazyRegexp returns a func that compiles expr on its first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

const (
	consoleHost    = "console.huaweicloud.com"
	smnConfirmPath = "/smn/subscription/confirm"
)

// topicRegion returns the region of an SMN topic URN, urn:smn:<region>:<project id>:<name>.
func topicRegion(urn string) (string, bool) {
	parts := strings.Split(urn, ":")
	if len(parts) != 5 || parts[0] != "urn" || parts[1] != "smn" || !smnRegion().MatchString(parts[2]) ||
		parts[3] == "" || parts[4] == "" {
		return "", false
	}
	return parts[2], true
}

// plainHTTPSURL parses raw as an https URL with nothing a host rule could be fooled by: no user
// info, no port, no escaped path, no fragment.
func plainHTTPSURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Opaque != "" || u.User != nil || u.Port() != "" ||
		u.RawPath != "" || u.Fragment != "" || u.Host != u.Hostname() {
		return nil, false
	}
	return u, true
}

// certURLOK reports whether raw is where SMN publishes the signing certificates of region:
// https://smn.<region>.myhuaweicloud.{com,cn,eu}/smn/SMN_<region>_<hex>.pem, nothing else.
func certURLOK(raw, region string) bool {
	u, ok := plainHTTPSURL(raw)
	if !ok || u.RawQuery != "" || u.ForceQuery {
		return false
	}
	hostOK := false
	for _, tld := range smnCertTLDs {
		hostOK = hostOK || u.Host == "smn."+region+".myhuaweicloud."+tld
	}
	m := smnCertPath().FindStringSubmatch(u.Path)
	return hostOK && m != nil && m[1] == region
}

// confirmURLOK reports whether raw is a subscription confirmation on Huawei Cloud's console, the
// global one or region's: the only URLs the function opens by itself.
func confirmURLOK(raw, region string) bool {
	u, ok := plainHTTPSURL(raw)
	if !ok || region == "" || (u.Host != consoleHost && u.Host != region+"-"+consoleHost) {
		return false
	}
	return (u.Path == smnConfirmPath || strings.HasPrefix(u.Path, smnConfirmPath+"/")) && path.Clean(u.Path) == u.Path
}

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

// cesAlarm is the part of a Cloud Eye alarm, carried as a JSON string in message, a decision
// needs. IsAlarm is a pointer: a message without it is not known to be a CES alarm at all.
type cesAlarm struct {
	IsAlarm       *bool  `json:"IsAlarm"`
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
// before it is verified, but nothing in it is acted on before the signature is checked: first the
// topic must be allow-listed and the certificate URL must be SMN's for the topic's region, so an
// unknown caller can make the function fetch nothing but SMN's own certificates.
func (h *Handler) SMN() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const source = sourceSMN
		if !h.admit(w, r, source, len(h.topics) > 0, "SMN topics") {
			return
		}
		if t := r.Header.Get(headerSMNTopicURN); t != "" && h.topics[t] == "" {
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
		region := h.topics[m.TopicURN]
		if region == "" {
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
		if !certURLOK(m.SigningCertURL, region) {
			h.reject(w, r, source, http.StatusForbidden, "signing certificate URL is not SMN's for the topic's region")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), actionTimeout)
		defer cancel()
		cert, err := h.cert(ctx, m.SigningCertURL)
		if err != nil {
			// Nothing was done and the certificate may be back on SMN's retry. The error stays in
			// the log: it can name an internal proxy or resolver.
			h.log.LogAttrs(ctx, slog.LevelWarn, "smn signing certificate unavailable",
				slog.String("signing_cert_url", m.SigningCertURL), slog.String("error", err.Error()))
			h.reject(w, r, source, http.StatusServiceUnavailable, "signing certificate unavailable; retry later")
			return
		}
		sig, err := base64.StdEncoding.DecodeString(m.Signature)
		if err != nil || cert.CheckSignature(cert.SignatureAlgorithm, []byte(toSign), sig) != nil {
			h.reject(w, r, source, http.StatusUnauthorized, "wrong signature")
			return
		}
		// Verified. The dedup key is the signed text itself, so no re-cut of the fields, and no
		// other spelling of the signature, counts as a new message.
		sum := sha256.Sum256([]byte(toSign))
		key := sourceSMN + "|" + hex.EncodeToString(sum[:])

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
			res, err := h.confirm(ctx, m, region, key)
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
			b, ok := h.smnBatch(m, key)
			if !ok {
				res, err := h.notUnderstood(ctx, m, key)
				h.audit(ctx, source, res, err)
				if err != nil {
					h.reject(w, r, source, http.StatusServiceUnavailable, "the message could not be delivered to Slack; retry")
					return
				}
				writeJSON(w, http.StatusOK, res)
				return
			}
			h.answer(ctx, w, b)
		}
	})
}

// stringToSign builds SMN's signed text: "key\nvalue\n" for a fixed list of keys per type. The
// single-line fields must not hold a newline, nor message_id anything but hex: otherwise one signed
// text can be cut into fields in more than one way (a subject moved into message_id, say), and a
// captured alarm re-sent as a "new" message.
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
		return "", errors.New("unknown message type")
	}
	if !hexID().MatchString(m.MessageID) {
		return "", errors.New("message_id: want hex")
	}
	var s strings.Builder
	for _, f := range fields {
		if f[0] != "message" && strings.Contains(f[1], "\n") {
			return "", fmt.Errorf("%s: newline in a single-line field", f[0])
		}
		s.WriteString(f[0] + "\n" + f[1] + "\n")
	}
	return s.String(), nil
}

// confirm GETs the subscribe URL when it is on Huawei Cloud's console. Any other URL, or a GET
// that fails, is handed to a human in the channel, once per signed message.
func (h *Handler) confirm(ctx context.Context, m smnMessage, region, key string) (result, error) {
	if !confirmURLOK(m.SubscribeURL, region) {
		text := fmt.Sprintf("SMN subscription to topic %s: its confirmation URL is not on Huawei Cloud's console "+
			"(%s or %s-%s), so it was not opened. Confirm the subscription in the SMN console if you expected it. "+
			"The URL was: `%s`", m.TopicURN, consoleHost, region, consoleHost, quoted(m.SubscribeURL))
		return h.tellHumans(ctx, key, text, "confirmation URL not on the console; posted for a human")
	}
	getCtx, cancel := context.WithTimeout(ctx, fetchTimeout)
	err := h.get(getCtx, m.SubscribeURL, func(io.Reader) error { return nil })
	cancel()
	if err == nil {
		return result{Decision: decisionConfirmed, Reason: "subscription confirmed"}, nil
	}
	h.log.LogAttrs(ctx, slog.LevelWarn, "smn subscription not confirmed",
		slog.String("topic_urn", m.TopicURN), slog.String("error", err.Error()))
	text := fmt.Sprintf("SMN subscription to topic %s could not be confirmed automatically. "+
		"A human should confirm it within 48 h by opening: %s", m.TopicURN, m.SubscribeURL)
	return h.tellHumans(ctx, key, text, "confirmation failed; URL posted for a human")
}

// notUnderstood tells humans about a verified message from an allowed topic that is not a Cloud
// Eye alarm (an AOM alert, say): it may matter, and it must not vanish without a trace.
func (h *Handler) notUnderstood(ctx context.Context, m smnMessage, key string) (result, error) {
	text := fmt.Sprintf("SMN message from topic %s not understood (not a Cloud Eye alarm); nothing was paused. "+
		"Subject: %s. Message: %s", m.TopicURN, quoted(m.Subject), quoted(m.Message))
	return h.tellHumans(ctx, key, text, "not a Cloud Eye alarm; posted as not understood")
}

// tellHumans posts text to the alert channel unless the ledger says this signed message was
// handled within dedupTTL, on any instance; a failed post gives the key back, so that SMN's
// retry posts again.
func (h *Handler) tellHumans(ctx context.Context, key, text, reason string) (result, error) {
	c := &claims{l: h.cfg.Ledger, holder: newHolder(sourceSMN)}
	free, err := c.claimAll(ctx, []string{hashedKey(alertKeyPrefix, key)}, h.now().Add(dedupTTL))
	if err != nil {
		return result{}, err
	}
	if !free[0] {
		return result{Decision: decisionIgnored, Reason: "duplicate: this message was seen within the last hour"}, nil
	}
	res := result{Decision: decisionForwarded, Reason: reason}
	if err := h.act.Notify(ctx, h.cfg.Channel, text); err != nil {
		c.release(ctx, h.log)
		return res, fmt.Errorf("notify: %w", err)
	}
	return res, nil
}

// quoted cuts s to maxQuoted runes for a message to humans, which Actions escapes. Backquotes are
// dropped so that s cannot end a code span early.
func quoted(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	return string([]rune(s)[:maxQuoted-1]) + "…"
}

// smnBatch turns a verified notification into a batch of at most one alert. It reports false when
// the message is not a Cloud Eye alarm: not JSON, or without a boolean IsAlarm where CES puts it
// (under data in the captured Chinese-console alarms, under template_variable in the captured
// international ones, or at the top).
func (h *Handler) smnBatch(m smnMessage, key string) (batch, bool) {
	b := batch{source: sourceSMN, title: m.Subject}
	var envelope struct {
		Data     *cesAlarm `json:"data"`
		Template *cesAlarm `json:"template_variable"`
		cesAlarm
	}
	if err := json.Unmarshal([]byte(m.Message), &envelope); err != nil {
		return b, false
	}
	alarm := envelope.cesAlarm
	switch {
	case envelope.Data != nil:
		alarm = *envelope.Data
	case envelope.Template != nil:
		alarm = *envelope.Template
	}
	if alarm.IsAlarm == nil {
		return b, false
	}
	if !*alarm.IsAlarm {
		return b, true // a recovery never pauses
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
	b.alerts = []firingAlert{{key: key, id: id, labels: labels}}
	return b, true
}

// cert returns the certificate at rawURL, from the cache when it was fetched before. A failed
// fetch is remembered for certRetryAfter and not tried again before.
func (h *Handler) cert(ctx context.Context, rawURL string) (*x509.Certificate, error) {
	now := h.now()
	if c, failed := h.certs.get(rawURL, now); c != nil || failed != nil {
		return c, failed
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
		err = fmt.Errorf("signing certificate: %w", err)
		h.certs.fail(rawURL, err, now.Add(certRetryAfter))
		return nil, err
	}
	h.certs.put(rawURL, cert)
	return cert, nil
}

// get GETs rawURL and hands a 200 body to read; the URL has passed certURLOK or confirmURLOK.
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

// newSMNClient is the client for SMN's certificates and confirmations when none is configured:
// like Go's default transport it honours HTTPS_PROXY (functions often reach the internet only
// through an egress proxy) and trusts the system roots (SSL_CERT_FILE included).
func newSMNClient() *http.Client {
	return &http.Client{
		Timeout: 3 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: fetchTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12}, // nil RootCAs: the system's
			TLSHandshakeTimeout:   fetchTimeout,
			ResponseHeaderTimeout: fetchTimeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          4,
			IdleConnTimeout:       90 * time.Second,
		},
	}
}

// certCache keeps certificates, and failed fetches until they may be tried again, by URL. It is
// small and cleared when full: SMN uses a handful of certificates.
type certCache struct {
	max    int
	mu     sync.Mutex
	certs  map[string]*x509.Certificate
	failed map[string]failedFetch
}

type failedFetch struct {
	err   error
	until time.Time
}

func newCertCache(max int) *certCache {
	return &certCache{max: max, certs: make(map[string]*x509.Certificate), failed: make(map[string]failedFetch)}
}

// get returns the certificate cached for url, or the error of a fetch that failed less than
// certRetryAfter before now, or neither.
func (c *certCache) get(url string, now time.Time) (*x509.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cert := c.certs[url]; cert != nil {
		return cert, nil
	}
	if f, ok := c.failed[url]; ok {
		if now.Before(f.until) {
			return nil, f.err
		}
		delete(c.failed, url)
	}
	return nil, nil
}

func (c *certCache) put(url string, cert *x509.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.certs) >= c.max {
		clear(c.certs)
	}
	c.certs[url] = cert
	delete(c.failed, url)
}

func (c *certCache) fail(url string, err error, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.failed) >= c.max {
		clear(c.failed)
	}
	c.failed[url] = failedFetch{err: err, until: until}
}
