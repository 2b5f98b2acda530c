package alerts_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/bot/alerts/smntest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// The SMN tests run against smntest's double under the real host names: the process trusts its
// CA through SSL_CERT_FILE and reaches it through HTTPS_PROXY (see TestMain), so the handler's
// own host rules, transport and root pool are what is tested. Every test publishes its signing
// certificate under a fresh hex name, so the fetches it counts are its own.

const (
	testTopic    = "urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX"
	otherTopic   = "urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:someone_else"
	cesAlarmRule = "alarm-dr-primary"
	// testMessageID is the message id of the captured CES alarm in the reference.
	testMessageID = "1565df032a19494590d61e05f7b0dc0e"
	// notUnderstoodMark is what a message to humans about an SMN message that is not a CES alarm says.
	notUnderstoodMark = "not understood"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
	testKeyErr  error
)

// rsaKey is SMN's kind of signing key (the captured signatures are 256 bytes: RSA-2048), made
// once per test binary since key generation is the slow part.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() { testKey, testKeyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if testKeyErr != nil {
		t.Fatalf("test key: %v", testKeyErr)
	}
	return testKey
}

// randomHex returns 32 hex characters, the shape of SMN's certificate names and message ids.
func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// smnCertURL is a fresh certificate URL of the shape SMN publishes under, on host
// smn.<region>.myhuaweicloud.<tld>.
func smnCertURL(t testing.TB, region, tld string) string {
	return "https://smn." + region + ".myhuaweicloud." + tld + "/smn/SMN_" + region + "_" + randomHex(t) + ".pem"
}

// consoleConfirmURL is a subscribe_url as the captured confirmations carry it.
func consoleConfirmURL(host, topic, region, token string) string {
	return "https://" + host + "/smn/subscription/confirm?token=" + token + "&topic_urn=" + topic + "&region=" + region
}

// smnSigner signs as SMN does, with a certificate the double publishes at its URL.
type smnSigner struct {
	t      *testing.T
	double *smntest.Server
	signer *smntest.Signer
	host   string
	path   string
}

func newSMNSigner(t *testing.T, certURL string) *smnSigner {
	t.Helper()
	d := alerts.SMNDouble(t)
	g, err := d.NewSigner(certURL, rsaKey(t))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(certURL)
	if err != nil {
		t.Fatal(err)
	}
	return &smnSigner{t: t, double: d, signer: g, host: u.Host, path: u.Path}
}

// sign sets m's certificate URL to the signer's and signs m.
func (s *smnSigner) sign(m *smntest.Message) *smntest.Message {
	s.t.Helper()
	if err := s.signer.Sign(m); err != nil {
		s.t.Fatal(err)
	}
	return m
}

func (s *smnSigner) certFetches() int { return s.double.Fetches(s.host, s.path) }

// notification is a Cloud Eye alarm notification shaped like the captured one, not yet signed.
func (s *smnSigner) notification(messageID, message string) *smntest.Message {
	return &smntest.Message{
		Type:           "Notification",
		Subject:        "[华为云][紧急告警]云监控通知：dws-primary已触发告警。",
		TopicURN:       testTopic,
		MessageID:      messageID,
		Message:        message,
		SigningCertURL: s.signer.CertURL,
		Timestamp:      "2026-11-20T08:14:17Z",
	}
}

// confirmation is a SubscriptionConfirmation shaped like the captured ones, not yet signed.
func confirmation(topic, subscribeURL string) *smntest.Message {
	return &smntest.Message{
		Type:             "SubscriptionConfirmation",
		SignatureVersion: "v1",
		TopicURN:         topic,
		MessageID:        "242fac183d3a4936b5ead6c725a32ed0",
		Message: "You are invited to subscribe to topic: " + topic + ". To confirm this subscription, please visit " +
			"the subscribe_url included in this message. The subscribe_url is valid only within 48 hours.",
		SubscribeURL: subscribeURL,
		Timestamp:    "2026-11-20T08:14:17Z",
	}
}

// confirmations counts the confirmation GETs that carried token.
func confirmations(d *smntest.Server, token string) int {
	n := 0
	for _, r := range d.Requests() {
		if r.Path == "/smn/subscription/confirm" && r.Query.Get("token") == token {
			n++
		}
	}
	return n
}

// cesMessage is a Cloud Eye alarm as SMN carries it: JSON inside a JSON string.
func cesMessage(t *testing.T, isAlarm any, rule, resourceID string) string {
	t.Helper()
	data := map[string]any{
		"AccountName": "dws-ops", "Namespace": "SYS.DWS", "ResourceName": "dws-primary",
		"MetricName": "dws001_shared_buffer_hit_ratio", "AlarmLevel": "紧急", "RegionId": "cn-north-4",
		"ResourceId": resourceID, "AlarmTime": "2026/11/20 16:14:15 GMT+08:00",
		"AlarmRecordID": "ah1748876175242njvndyzMZ", "AlarmRuleName": rule,
	}
	if isAlarm != nil {
		data["IsAlarm"] = isAlarm
	}
	b, err := json.Marshal(map[string]any{"version": "v1", "data": data})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// smnHeader is what SMN sends with a message: its type and id, and the topic when given.
func smnHeader(m *smntest.Message, topic string) http.Header {
	h := http.Header{"X-Smn-Message-Type": {m.Type}, "X-Smn-Message-Id": {m.MessageID}}
	if topic != "" {
		h.Set("X-SMN-TOPIC-URN", topic)
	}
	return h
}

func marshal(t *testing.T, m *smntest.Message) []byte {
	t.Helper()
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return body
}

func TestSMN(t *testing.T) {
	alarm := func(t *testing.T) string {
		return cesMessage(t, true, cesAlarmRule, "00000000-0000-4000-8000-000000000000")
	}
	tests := []struct {
		name string
		edit func(*alerts.Config)
		// build returns the message to send, and the topic header (empty: none)
		build         func(t *testing.T, s *smnSigner) (*smntest.Message, string)
		wantStatus    int
		wantDecision  string
		wantIDs       []string
		wantDropped   []string
		wantProposed  int
		wantNotified  int
		wantCertHits  int
		wantNotifyHas string // a part of the one message to humans
	}{
		{
			name: "alarm mapped by rule name",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, alarm(t))), testTopic
			},
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantProposed: 1, wantCertHits: 1,
		},
		{
			name: "alarm mapped by resource id",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, cesMessage(t, true, "alarm-c5jj", "3dc7b9ea-70b4-4c38-942d-e2636e6d844c"))), ""
			},
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idB}, wantProposed: 1, wantCertHits: 1,
		},
		{
			name: "alarm without subject",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, ""))
				m.Subject = ""
				return s.sign(m), ""
			},
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantProposed: 1, wantCertHits: 1,
		},
		{
			name: "CES recovery never pauses",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, cesMessage(t, false, cesAlarmRule, ""))), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "IsAlarm absent is not understood, and told",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, cesMessage(t, nil, cesAlarmRule, ""))), ""
			},
			wantStatus: 200, wantDecision: "forwarded", wantNotified: 1, wantCertHits: 1, wantNotifyHas: notUnderstoodMark,
		},
		{
			name: "IsAlarm not a boolean is not understood, and told",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, cesMessage(t, "true", cesAlarmRule, ""))), ""
			},
			wantStatus: 200, wantDecision: "forwarded", wantNotified: 1, wantCertHits: 1, wantNotifyHas: notUnderstoodMark,
		},
		{
			name: "unmapped alarm",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, cesMessage(t, true, "alarm-c5jj", "dcs-h4tv"))), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "DR id in free text is not used, and the text is told",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, "pause "+idA+" now")), ""
			},
			wantStatus: 200, wantDecision: "forwarded", wantNotified: 1, wantCertHits: 1, wantNotifyHas: "pause " + idA + " now",
		},
		{
			name: "mapped id outside the allow-list",
			edit: func(c *alerts.Config) { c.AllowedIDs = allowOnly(idC) },
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, alarm(t))), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantDropped: []string{idA}, wantNotified: 1, wantCertHits: 1,
		},
		{
			name: "bad signature",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.sign(s.notification(testMessageID, cesMessage(t, false, cesAlarmRule, "")))
				m.Message = alarm(t) // turned into an alarm after signing
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "replayed after the window",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.notification(testMessageID, alarm(t))
				m.Timestamp = testNow.Add(-61 * time.Minute).Format(time.RFC3339) // the window is an hour
				return s.sign(m), ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "timestamp from the future",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.notification(testMessageID, alarm(t))
				m.Timestamp = testNow.Add(61 * time.Minute).Format(time.RFC3339)
				return s.sign(m), ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "unreadable timestamp",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.notification(testMessageID, alarm(t))
				m.Timestamp = "2026/11/20 08:14:17"
				return s.sign(m), ""
			},
			wantStatus: 400, wantCertHits: 1,
		},
		{
			name: "subject added after signing",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.notification(testMessageID, alarm(t))
				m.Subject = ""
				s.sign(m)
				m.Subject = "forged"
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "signature not base64",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.sign(s.notification(testMessageID, alarm(t)))
				m.Signature = "%%%"
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "message id not hex",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification("m1", alarm(t))), ""
			},
			wantStatus: 400,
		},
		{
			name: "message id missing",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification("", alarm(t))), ""
			},
			wantStatus: 400,
		},
		{
			name: "unknown topic in the body",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.notification(testMessageID, alarm(t))
				m.TopicURN = otherTopic
				return s.sign(m), ""
			},
			wantStatus: 403,
		},
		{
			name: "unknown topic in the header",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, alarm(t))), otherTopic
			},
			wantStatus: 403,
		},
		{
			name: "route disabled", edit: func(c *alerts.Config) { c.SMNTopics = nil },
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				return s.sign(s.notification(testMessageID, alarm(t))), ""
			},
			wantStatus: 403,
		},
		{
			name: "subscription for an unknown topic",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := confirmation(otherTopic, consoleConfirmURL("console.huaweicloud.com", otherTopic, "cn-north-4", randomHex(t)))
				return s.sign(m), ""
			},
			wantStatus: 403,
		},
		{
			name: "subscription with a forged subscribe URL",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.sign(confirmation(testTopic, consoleConfirmURL("console.huaweicloud.com", testTopic, "cn-north-4", randomHex(t))))
				m.SubscribeURL = "https://evil.example/smn/subscription/confirm"
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "unsubscribe confirmation",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := confirmation(testTopic, consoleConfirmURL("console.huaweicloud.com", testTopic, "cn-north-4", randomHex(t)))
				m.Type = "UnsubscribeConfirmation"
				return s.sign(m), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "unknown type",
			build: func(t *testing.T, s *smnSigner) (*smntest.Message, string) {
				m := s.notification(testMessageID, "")
				m.Type = "Surprise"
				return s.sign(m), ""
			},
			wantStatus: 400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
			h, act, _ := setup(t, tt.edit)
			m, topic := tt.build(t, s)
			status, got := post(t, h.SMN(), smnHeader(m, topic), marshal(t, m))
			if status != tt.wantStatus {
				t.Fatalf("status: got %d; want %d", status, tt.wantStatus)
			}
			checkAnswer(t, got, tt.wantDecision, tt.wantIDs, tt.wantDropped)
			checkCalls(t, act, tt.wantProposed, 0, tt.wantNotified)
			if got := s.certFetches(); got != tt.wantCertHits {
				t.Errorf("certificate fetches: got %d; want %d", got, tt.wantCertHits)
			}
			if tt.wantNotifyHas != "" && (len(act.notified) != 1 || !strings.Contains(act.notified[0], tt.wantNotifyHas)) {
				t.Errorf("messages to humans: got %q; want one containing %q", act.notified, tt.wantNotifyHas)
			}
		})
	}
}

// TestSMNConfirmedOnTheConsole: real confirmations carry a subscribe_url on the console, the global
// one or the region's, never on an smn host; the function confirms them by a GET through the
// proxy, and tells nobody.
func TestSMNConfirmedOnTheConsole(t *testing.T) {
	const brazilTopic = "urn:smn:sa-brazil-1:bd4140f92d7941cdb34be53d74e37ac5:alarm-testing"
	tests := []struct {
		name, topic, region, host string
	}{
		// apache/hertzbeat's captured confirmation (cn-north-4, the global console).
		{name: "global console", topic: testTopic, region: "cn-north-4", host: "console.huaweicloud.com"},
		// The captured confirmation of a Huawei Cloud LA guide (sa-brazil-1, its regional console).
		{name: "regional console", topic: brazilTopic, region: "sa-brazil-1", host: "sa-brazil-1-console.huaweicloud.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSMNSigner(t, smnCertURL(t, tt.region, "com"))
			h, act, _ := setup(t, func(c *alerts.Config) { c.SMNTopics = []string{tt.topic} })
			token := randomHex(t) + randomHex(t)
			d := s.double
			connectsBefore := len(d.Connects())
			m := s.sign(confirmation(tt.topic, consoleConfirmURL(tt.host, tt.topic, tt.region, token)))

			status, got := post(t, h.SMN(), smnHeader(m, tt.topic), marshal(t, m))
			if status != 200 || got.Decision != "confirmed" {
				t.Fatalf("answer: got %d %q (%s); want 200 confirmed", status, got.Decision, got.Reason)
			}
			if n := confirmations(d, token); n != 1 {
				t.Errorf("confirmation GETs: got %d; want 1", n)
			}
			checkCalls(t, act, 0, 0, 0)
			// Only through the proxy can the console's name reach the double at all; the first
			// tunnel of this test went to SMN's host for the certificate.
			if connects := d.Connects()[connectsBefore:]; !slices.Contains(connects, tt.host) {
				t.Errorf("CONNECTs through the proxy: got %q; want one to %s", connects, tt.host)
			}
		})
	}
}

// TestSMNConfirmationOffTheConsole: a verified confirmation whose subscribe_url is anywhere but
// the console is posted for a human and never fetched: not a request, not a tunnel.
func TestSMNConfirmationOffTheConsole(t *testing.T) {
	tests := []struct{ name, url string }{
		{name: "SMN's own host", url: "https://smn.cn-north-4.myhuaweicloud.com/smn/subscription/confirm?token=T"},
		{name: "another host", url: "https://evil.example/smn/subscription/confirm?token=T"},
		{name: "console name as a prefix", url: "https://console.huaweicloud.com.evil.example/smn/subscription/confirm?token=T"},
		{name: "plain http", url: "http://console.huaweicloud.com/smn/subscription/confirm?token=T"},
		{name: "another region's console", url: "https://sa-brazil-1-console.huaweicloud.com/smn/subscription/confirm?token=T"},
		{name: "a port", url: "https://console.huaweicloud.com:8443/smn/subscription/confirm?token=T"},
		{name: "user info", url: "https://console.huaweicloud.com@evil.example/smn/subscription/confirm?token=T"},
		{name: "another path", url: "https://console.huaweicloud.com/smn/subscription/unsubscribe?token=T"},
		{name: "a path climbing out", url: "https://console.huaweicloud.com/smn/subscription/confirm/../../iam/x?token=T"},
		{name: "an escaped path", url: "https://console.huaweicloud.com/smn/subscription/confirm%2F..%2F..%2Fx?token=T"},
		{name: "metadata address", url: "https://169.254.169.254/latest/meta-data/?token=T"},
		{name: "mrkdwn in the URL", url: "https://evil.example/<!channel>|click?token=T"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
			h, act, _ := setup(t, nil)
			token := randomHex(t)
			raw := strings.Replace(tt.url, "token=T", "token="+token, 1)
			m := s.sign(confirmation(testTopic, raw))
			body := marshal(t, m)
			// The certificate comes first; from then on nothing may go out.
			recovery := s.sign(s.notification(testMessageID, cesMessage(t, false, cesAlarmRule, "")))
			if status, _ := post(t, h.SMN(), nil, marshal(t, recovery)); status != 200 {
				t.Fatalf("warming the certificate: got %d; want 200", status)
			}
			requestsBefore, connectsBefore := len(s.double.Requests()), len(s.double.Connects())

			status, got := post(t, h.SMN(), nil, body)
			if status != 200 || got.Decision != "forwarded" {
				t.Fatalf("answer: got %d %q (%s); want 200 forwarded", status, got.Decision, got.Reason)
			}
			if reqs := s.double.Requests()[requestsBefore:]; len(reqs) != 0 {
				t.Errorf("requests after the certificate: got %+v; want none", reqs)
			}
			if connects := s.double.Connects()[connectsBefore:]; len(connects) != 0 {
				t.Errorf("CONNECTs after the certificate: got %q; want none", connects)
			}
			if len(act.notified) != 1 || !strings.Contains(act.notified[0], "not opened") ||
				!strings.Contains(act.notified[0], "`"+raw+"`") || !strings.Contains(act.notified[0], testTopic) {
				t.Errorf("messages to humans: got %q; want one naming the topic, saying the URL was not opened, and quoting it in code", act.notified)
			}
		})
	}
}

func TestSMNConfirmationFailedIsHandedToAHuman(t *testing.T) {
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	h, act, _ := setup(t, nil)
	token := randomHex(t)
	s.double.FailConfirmations(token)
	m := s.sign(confirmation(testTopic, consoleConfirmURL("console.huaweicloud.com", testTopic, "cn-north-4", token)))
	body := marshal(t, m)

	status, got := post(t, h.SMN(), nil, body)
	if status != 200 || got.Decision != "forwarded" {
		t.Fatalf("answer: got %d %q (%s); want 200 forwarded", status, got.Decision, got.Reason)
	}
	if n := confirmations(s.double, token); n != 1 {
		t.Errorf("confirmation GETs: got %d; want 1", n)
	}
	if len(act.notified) != 1 || !strings.Contains(act.notified[0], m.SubscribeURL) || !strings.Contains(act.notified[0], testTopic) {
		t.Fatalf("messages to humans: got %q; want one with the subscribe URL and the topic", act.notified)
	}
	// The URL and the topic are random and fixed text: look for the status only in the rest.
	if rest := strings.NewReplacer(m.SubscribeURL, "", testTopic, "").Replace(act.notified[0]); strings.Contains(rest, "500") {
		t.Errorf("message to humans %q repeats the fetch error; want it in the log only", act.notified[0])
	}
	// SMN's retry of the same confirmation is not posted again.
	if status, got := post(t, h.SMN(), nil, body); status != 200 || got.Decision != "ignored" {
		t.Errorf("retry: got %d %q; want 200 ignored", status, got.Decision)
	}
	checkCalls(t, act, 0, 0, 1)
}

// TestSMNCertificateHosts: SMN publishes certificates on .com, and (per the SDK's endpoints) on
// .cn and .eu hosts; notifications signed under each verify.
func TestSMNCertificateHosts(t *testing.T) {
	tests := []struct{ region, tld string }{
		{region: "cn-north-4", tld: "com"},
		{region: "cn-north-2", tld: "cn"},
		{region: "eu-west-101", tld: "eu"},
	}
	for _, tt := range tests {
		t.Run(tt.tld, func(t *testing.T) {
			topic := "urn:smn:" + tt.region + ":477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX"
			s := newSMNSigner(t, smnCertURL(t, tt.region, tt.tld))
			h, act, _ := setup(t, func(c *alerts.Config) { c.SMNTopics = []string{topic} })
			m := s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, ""))
			m.TopicURN = topic
			s.sign(m)
			status, got := post(t, h.SMN(), smnHeader(m, topic), marshal(t, m))
			if status != 200 {
				t.Fatalf("status: got %d; want 200", status)
			}
			checkAnswer(t, got, "proposed", []string{idA}, nil)
			checkCalls(t, act, 1, 0, 0)
			if n := s.certFetches(); n != 1 {
				t.Errorf("certificate fetches: got %d; want 1", n)
			}
		})
	}
}

// TestSMNCertificateURLRefused: a certificate URL that is not SMN's for the topic's region is
// refused before anything is fetched. The double publishes a valid certificate at each of them,
// so a URL wrongly accepted would verify.
func TestSMNCertificateURLRefused(t *testing.T) {
	id := "b98100ca131b4116ab8ee7ccedbaae99"
	tests := []struct{ name, url string }{
		{name: "not hex", url: "https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_test.pem"},
		{name: "another file", url: "https://smn.cn-north-4.myhuaweicloud.com/smn/other_" + id + ".pem"},
		{name: "outside /smn", url: "https://smn.cn-north-4.myhuaweicloud.com/SMN_cn-north-4_" + id + ".pem"},
		{name: "a query", url: "https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem?x=1"},
		{name: "path region not the topic's", url: "https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-east-3_" + id + ".pem"},
		{name: "host region not the topic's", url: "https://smn.cn-east-3.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem"},
		{name: "both regions not the topic's", url: "https://smn.cn-east-3.myhuaweicloud.com/smn/SMN_cn-east-3_" + id + ".pem"},
		{name: "another domain", url: "https://smn.cn-north-4.myhuaweicloud.net/smn/SMN_cn-north-4_" + id + ".pem"},
		{name: "a suffix", url: "https://smn.cn-north-4.myhuaweicloud.com.evil.example/smn/SMN_cn-north-4_" + id + ".pem"},
		{name: "a port", url: "https://smn.cn-north-4.myhuaweicloud.com:443/smn/SMN_cn-north-4_" + id + ".pem"},
		{name: "plain http", url: "http://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem"},
		{name: "the console", url: "https://console.huaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := alerts.SMNDouble(t)
			s := newSMNSigner(t, tt.url)
			h, act, _ := setup(t, nil)
			requestsBefore, connectsBefore := len(d.Requests()), len(d.Connects())
			m := s.sign(s.notification(randomHex(t), cesMessage(t, true, cesAlarmRule, "")))

			if status, _ := post(t, h.SMN(), nil, marshal(t, m)); status != 403 {
				t.Errorf("status: got %d; want 403", status)
			}
			if reqs := d.Requests()[requestsBefore:]; len(reqs) != 0 {
				t.Errorf("requests: got %+v; want none", reqs)
			}
			if connects := d.Connects()[connectsBefore:]; len(connects) != 0 {
				t.Errorf("CONNECTs: got %q; want none", connects)
			}
			checkCalls(t, act, 0, 0, 0)
		})
	}
}

// TestSMNCertificateRedirectNotFollowed: a redirect would escape the host rule.
func TestSMNCertificateRedirectNotFollowed(t *testing.T) {
	d := alerts.SMNDouble(t)
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	from := smnCertURL(t, "cn-north-4", "com")
	if err := d.Redirect(from, s.signer.CertURL); err != nil {
		t.Fatal(err)
	}
	h, act, _ := setup(t, nil)
	m := s.sign(s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, "")))
	m.SigningCertURL = from // the signature does not cover it

	if status, _ := post(t, h.SMN(), nil, marshal(t, m)); status != 503 {
		t.Errorf("status: got %d; want 503", status)
	}
	if n := s.certFetches(); n != 0 {
		t.Errorf("fetches of the redirect's target: got %d; want 0", n)
	}
	checkCalls(t, act, 0, 0, 0)
}

// TestSMNFieldShiftReplay: with subject optional and newlines allowed, a captured alarm's
// subject could be moved into message_id ("<id>\nsubject\n<subject>"): the same signed text, a
// new message id. That is refused, and nothing is proposed twice.
func TestSMNFieldShiftReplay(t *testing.T) {
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	h, act, _ := setup(t, nil)
	m := s.sign(s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, "")))
	if status, got := post(t, h.SMN(), nil, marshal(t, m)); status != 200 || got.Decision != "proposed" {
		t.Fatalf("original: got %d %q; want 200 proposed", status, got.Decision)
	}

	shifted := *m
	shifted.MessageID = m.MessageID + "\nsubject\n" + m.Subject
	shifted.Subject = ""
	if shifted.StringToSign() != m.StringToSign() {
		t.Fatal("the shifted message's signed text differs from the original's; the test is broken")
	}
	status, got := post(t, h.SMN(), nil, marshal(t, &shifted))
	if status != 400 {
		t.Errorf("shifted replay: got %d %q; want 400", status, got.Decision)
	}
	checkCalls(t, act, 1, 0, 0)
}

// TestSMNNewlineInSignedFields: each single-line signed field is refused with a newline in it.
func TestSMNNewlineInSignedFields(t *testing.T) {
	tests := []struct {
		name string
		edit func(*smntest.Message)
	}{
		{name: "message_id", edit: func(m *smntest.Message) { m.MessageID += "\n" }},
		{name: "subject", edit: func(m *smntest.Message) { m.Subject += "\ntimestamp" }},
		{name: "timestamp", edit: func(m *smntest.Message) { m.Timestamp += "\n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
			h, act, _ := setup(t, nil)
			m := s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, ""))
			tt.edit(m)
			s.sign(m)
			if status, _ := post(t, h.SMN(), nil, marshal(t, m)); status != 400 {
				t.Errorf("status: got %d; want 400", status)
			}
			checkCalls(t, act, 0, 0, 0)
		})
	}
}

// TestSMNDedupIsNotOnAField: two different signed alarms sharing a message id are two messages:
// the second is not dropped as a duplicate of the first.
func TestSMNDedupIsNotOnAField(t *testing.T) {
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	h, act, _ := setup(t, nil)
	first := s.sign(s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, "")))
	second := s.sign(s.notification(testMessageID, cesMessage(t, true, "alarm-c5jj", "3dc7b9ea-70b4-4c38-942d-e2636e6d844c")))
	for i, m := range []*smntest.Message{first, second} {
		if status, got := post(t, h.SMN(), nil, marshal(t, m)); status != 200 || got.Decision != "proposed" {
			t.Errorf("message %d: got %d %q (%s); want 200 proposed", i, status, got.Decision, got.Reason)
		}
	}
	checkCalls(t, act, 2, 0, 0)
}

// TestSMNRepeatedMessage: SMN retries a push it thinks failed; it acts once, and the signing
// certificate is fetched once.
func TestSMNRepeatedMessage(t *testing.T) {
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	h, act, _ := setup(t, nil)
	body := marshal(t, s.sign(s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, ""))))
	for i := range 10 {
		want := "ignored"
		if i == 0 {
			want = "proposed"
		}
		if status, a := post(t, h.SMN(), nil, body); status != 200 || a.Decision != want {
			t.Errorf("push %d: got %d %q; want 200 %q", i, status, a.Decision, want)
		}
	}
	checkCalls(t, act, 1, 0, 0)
	if got := s.certFetches(); got != 1 {
		t.Errorf("certificate fetches: got %d; want 1", got)
	}
}

// TestSMNFailedCertificateFetchRemembered: a certificate that could not be fetched is not
// fetched again for a minute, however often SMN retries, and the answer says nothing of why.
func TestSMNFailedCertificateFetchRemembered(t *testing.T) {
	d := alerts.SMNDouble(t)
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	missing := smnCertURL(t, "cn-north-4", "com") // published nowhere: the double answers 404
	u, _ := url.Parse(missing)
	var logs bytes.Buffer
	h, act, clk := setup(t, func(c *alerts.Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	m := s.sign(s.notification(testMessageID, cesMessage(t, true, cesAlarmRule, "")))
	m.SigningCertURL = missing
	body := marshal(t, m)

	send := func(what string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/alerts/smn", strings.NewReader(string(body)))
		rec := httptest.NewRecorder()
		h.SMN().ServeHTTP(rec, req)
		if rec.Code != 503 {
			t.Fatalf("%s: got %d; want 503", what, rec.Code)
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s: body %q: %v", what, rec.Body, err)
		}
		if want := "signing certificate unavailable; retry later"; e.Error.Message != want {
			t.Errorf("%s: message %q; want %q, which names no cause", what, e.Error.Message, want)
		}
	}
	send("first")
	clk.Advance(59 * time.Second)
	send("retry within the minute")
	if n := d.Fetches(u.Host, u.Path); n != 1 {
		t.Errorf("fetches within the minute: got %d; want 1", n)
	}
	clk.Advance(2 * time.Second)
	send("retry after the minute")
	if n := d.Fetches(u.Host, u.Path); n != 2 {
		t.Errorf("fetches after the minute: got %d; want 2", n)
	}
	if !strings.Contains(logs.String(), "http 404") {
		t.Errorf("log: got %q; want the fetch error", logs.String())
	}
	checkCalls(t, act, 0, 0, 0)
}

// TestSMNNotUnderstood: a verified message from an allowed topic that is no CES alarm reaches
// humans, quoted in part, once.
func TestSMNNotUnderstood(t *testing.T) {
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	h, act, _ := setup(t, nil)
	// An AOM alarm through SMN (shape UNVERIFIED: AOM's SMN schema is not documented; it has no
	// IsAlarm), with a long annotation to be cut.
	aom := `{"event_type":"alarm","severity":"Critical","resource":"dws-primary","annotations":{"message":"` +
		strings.Repeat("x", 2000) + `"}}`
	m := s.sign(s.notification(randomHex(t), aom))
	m.Subject = "[AOM] dws-primary"
	s.sign(m)
	body := marshal(t, m)

	status, got := post(t, h.SMN(), nil, body)
	if status != 200 || got.Decision != "forwarded" {
		t.Fatalf("answer: got %d %q; want 200 forwarded", status, got.Decision)
	}
	if len(act.notified) != 1 {
		t.Fatalf("messages to humans: got %d; want 1", len(act.notified))
	}
	text := act.notified[0]
	for _, want := range []string{notUnderstoodMark, testTopic, "[AOM] dws-primary", `"event_type":"alarm"`} {
		if !strings.Contains(text, want) {
			t.Errorf("message %q: want it to contain %q", text, want)
		}
	}
	if len(text) > 1500 {
		t.Errorf("message: got %d bytes; want the SMN message cut short", len(text))
	}
	if status, got := post(t, h.SMN(), nil, body); status != 200 || got.Decision != "ignored" {
		t.Errorf("retry: got %d %q; want 200 ignored", status, got.Decision)
	}
	checkCalls(t, act, 0, 0, 1)
}

// TestSMNInternationalCESAlarm: the captured international CES alarm (sa-brazil-1) carries its
// fields under template_variable, not data.
func TestSMNInternationalCESAlarm(t *testing.T) {
	const topic = "urn:smn:sa-brazil-1:bd4140f92d7941cdb34be53d74e37ac5:alarm-testing"
	s := newSMNSigner(t, smnCertURL(t, "sa-brazil-1", "com"))
	h, act, clk := setup(t, func(c *alerts.Config) {
		c.SMNTopics = []string{topic}
		c.SMNMap = map[string]string{"alarm-shop": idA}
	})
	clk.Advance(time.Date(2024, 1, 12, 16, 52, 0, 0, time.UTC).Sub(testNow))
	message := `{
  "message_type": "alarm",
  "alarm_id": "al1704475580412b2a4lnr3W",
  "alarm_name": "alarm-shop",
  "alarm_status": "alarm",
  "namespace": "AGT.ECS",
  "metric_name": "cpu_usage",
  "template_variable": {
    "AccountName": "hwstaff_intl_50037306",
    "Namespace": "Advanced Monitoring",
    "ResourceName": "ecs-alarms",
    "MetricName": "(Agent) CPU Usage",
    "IsAlarm": true,
    "AlarmLevel": "Critical",
    "ResourceId": "ed5e8d39-9301-45ea-b11d-6ece27a09e17",
    "AlarmRuleName": "alarm-shop",
    "AlarmId": "al1704475580412b2a4lnr3W"
  }
}`
	m := &smntest.Message{
		Type:             "Notification",
		SignatureVersion: "v1",
		Subject:          `[Critical Alarm]From Cloud Eye: The (Agent) CPU Usage of Advanced Monitoring-ECSs "ecs-alarms" has triggered an alarm.`,
		TopicURN:         topic,
		MessageID:        "d3df1fb0248f48b69fb9df4676177406",
		Message:          message,
		UnsubscribeURL:   "https://sa-brazil-1-console.huaweicloud.com/smn/subscription/unsubscribe?region=sa-brazil-1&region_id=sa-brazil-1&subscription_urn=" + topic + ":df299ea12128487aa2ad22e3f0576d0b",
		Timestamp:        "2024-01-12T16:51:26Z",
	}
	s.sign(m)
	status, got := post(t, h.SMN(), smnHeader(m, topic), marshal(t, m))
	if status != 200 {
		t.Fatalf("status: got %d; want 200", status)
	}
	checkAnswer(t, got, "proposed", []string{idA}, nil)
	checkCalls(t, act, 1, 0, 0)
}

// TestSMNTopicsMustNameARegion: the region in the topic URN decides which hosts are SMN's, so a
// topic without one is a configuration error, not a route that refuses everything.
func TestSMNTopicsMustNameARegion(t *testing.T) {
	for _, topic := range []string{"urn:smn:x", "CES_notification_group_bngJ2aMpX", "urn:smn::477a784601d744e4ab9ab83986502d31:t",
		"urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31", "urn:smn:CN-North-4:p:t"} {
		_, err := alerts.New(alerts.Config{SMNTopics: []string{topic}, Channel: channel, Ledger: ledger.NewMemory()}, &fakeActions{})
		if err == nil {
			t.Errorf("New with topic %q: got no error; want one", topic)
		} else if strings.Contains(err.Error(), topic) {
			t.Errorf("New with topic %q: error %q quotes the value", topic, err)
		}
	}
	if _, err := alerts.New(alerts.Config{SMNTopics: []string{testTopic}, Channel: channel, Ledger: ledger.NewMemory()}, &fakeActions{}); err != nil {
		t.Errorf("New with topic %q: %v", testTopic, err)
	}
}

func TestSMNMalformedAndOversized(t *testing.T) {
	tests := []struct {
		name       string
		body       []byte
		wantStatus int
	}{
		{name: "malformed", body: []byte(`{"type":"Notification",`), wantStatus: 400},
		{name: "oversized", body: []byte(`{"message":"` + strings.Repeat("a", 1<<20) + `"}`), wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, act, _ := setup(t, nil)
			if status, _ := post(t, h.SMN(), nil, tt.body); status != tt.wantStatus {
				t.Errorf("status: got %d; want %d", status, tt.wantStatus)
			}
			checkCalls(t, act, 0, 0, 0)
		})
	}
}

// TestSMNMessagesToHumansAreEscaped: what SMN messages carry reaches the channel through the
// real bot, and neither pings the channel nor hides a link there.
func TestSMNMessagesToHumansAreEscaped(t *testing.T) {
	sl := startSlack(t)
	dr, err := drapi.New(startSim(t).ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{
		SigningSecret: slackSecret, BotToken: "xoxb-test-token", SlackAPIURL: sl.APIURL(),
		AllowedUsers: allowOnly(approver), AllowedChannels: allowAll, AllowedIDs: allowAll, Confirm: true,
	}, dr)
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.NewMemory()
	l.Now = func() time.Time { return testNow }
	h, err := alerts.New(alerts.Config{SMNTopics: []string{testTopic}, Channel: channel, AllowedIDs: allowAll, Ledger: l,
		Now: func() time.Time { return testNow }}, b)
	if err != nil {
		t.Fatal(err)
	}
	s := newSMNSigner(t, smnCertURL(t, "cn-north-4", "com"))
	hostile := "<!channel> <https://evil.example|the console> & more"
	notUnderstood := s.notification(randomHex(t), `{"annotations":{"message":"`+hostile+`"}}`)
	notUnderstood.Subject = hostile
	offConsole := confirmation(testTopic, "https://evil.example/<!channel>|x?token="+randomHex(t))
	for _, m := range []*smntest.Message{s.sign(notUnderstood), s.sign(offConsole)} {
		if status, got := post(t, h.SMN(), nil, marshal(t, m)); status != 200 || got.Decision != "forwarded" {
			t.Fatalf("%s: got %d %q (%s); want 200 forwarded", m.Type, status, got.Decision, got.Reason)
		}
	}
	posts := sl.Posts()
	for _, c := range posts {
		if strings.Contains(c.Text, "<!") || strings.Contains(c.Text, "<http") {
			t.Errorf("Slack got %q; want no unescaped <! or <http", c.Text)
		}
	}
	if len(posts) != 2 {
		t.Errorf("posts: got %d; want 2", len(posts))
	}
}
