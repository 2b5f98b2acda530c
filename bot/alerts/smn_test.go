package alerts_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot/alerts"
)

const (
	testTopic    = "urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX"
	otherTopic   = "urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:someone_else"
	cesAlarmRule = "alarm-dr-primary"
)

// smnSigner stands in for SMN: a self-signed certificate served over TLS, like
// https://smn.<region>.myhuaweicloud.com/smn/SMN_<region>_<id>.pem, and a subscribe endpoint.
type smnSigner struct {
	key       *rsa.PrivateKey
	srv       *httptest.Server
	certHits  atomic.Int32
	confirmed atomic.Int32
}

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
	testCertDER []byte
	testKeyErr  error
)

// testCertificate is generated once per test binary: RSA key generation is the slow part.
func testCertificate(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	testKeyOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			testKeyErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber:       big.NewInt(1),
			Subject:            pkix.Name{CommonName: "SMN test signing certificate"},
			NotBefore:          testNow.Add(-time.Hour),
			NotAfter:           testNow.Add(24 * time.Hour),
			SignatureAlgorithm: x509.SHA256WithRSA,
		}
		testKey = key
		testCertDER, testKeyErr = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	})
	if testKeyErr != nil {
		t.Fatalf("test certificate: %v", testKeyErr)
	}
	return testKey, testCertDER
}

func newSMNSigner(t *testing.T) *smnSigner {
	t.Helper()
	key, der := testCertificate(t)
	s := &smnSigner{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /smn/SMN_cn-north-4_test.pem", func(w http.ResponseWriter, r *http.Request) {
		s.certHits.Add(1)
		pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	})
	mux.HandleFunc("GET /smn/subscription/confirm", func(w http.ResponseWriter, r *http.Request) {
		s.confirmed.Add(1)
		w.Write([]byte(`{"request_id":"x"}`))
	})
	mux.HandleFunc("GET /smn/subscription/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /smn/redirect.pem", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/smn/SMN_cn-north-4_test.pem", http.StatusFound)
	})
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// configure points a Config at the fake SMN host.
func (s *smnSigner) configure(c *alerts.Config) {
	host := s.srv.Listener.Addr().String()
	c.SMNCertHost = func(h string) bool { return h == host }
	c.HTTPClient = s.srv.Client()
}

func (s *smnSigner) url(path string) string { return s.srv.URL + path }

// smnMessage is the JSON SMN pushes; built by the test, independently of the package's own type.
type smnMessage struct {
	Type             string `json:"type"`
	Signature        string `json:"signature"`
	SignatureVersion string `json:"signature_version,omitempty"`
	Subject          string `json:"subject,omitempty"`
	TopicURN         string `json:"topic_urn"`
	MessageID        string `json:"message_id"`
	Message          string `json:"message"`
	SubscribeURL     string `json:"subscribe_url,omitempty"`
	SigningCertURL   string `json:"signing_cert_url"`
	Timestamp        string `json:"timestamp"`
}

// sign signs m as the reference describes: "key\nvalue\n" per field, in a fixed order per type.
func (s *smnSigner) sign(t *testing.T, m *smnMessage) {
	t.Helper()
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("message", m.Message)
	add("message_id", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("subject", m.Subject)
		}
	} else {
		add("subscribe_url", m.SubscribeURL)
	}
	add("timestamp", m.Timestamp)
	add("topic_urn", m.TopicURN)
	add("type", m.Type)
	digest := sha256.Sum256([]byte(b.String()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
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

func (s *smnSigner) notification(t *testing.T, messageID, message string) *smnMessage {
	return &smnMessage{
		Type:           "Notification",
		Subject:        "[华为云][紧急告警]云监控通知：dws-primary已触发告警。",
		TopicURN:       testTopic,
		MessageID:      messageID,
		Message:        message,
		SigningCertURL: s.url("/smn/SMN_cn-north-4_test.pem"),
		Timestamp:      "2026-11-20T08:14:17Z",
	}
}

func (s *smnSigner) confirmation(subscribePath string) *smnMessage {
	return &smnMessage{
		Type:             "SubscriptionConfirmation",
		SignatureVersion: "v1",
		TopicURN:         testTopic,
		MessageID:        "a51671f77ead4d2e8b0a5f1b2c3d4e5f",
		Message:          "You are invited to subscribe to topic: " + testTopic,
		SubscribeURL:     s.url(subscribePath) + "?token=secret-subscription-token",
		SigningCertURL:   s.url("/smn/SMN_cn-north-4_test.pem"),
		Timestamp:        "2026-11-20T08:14:17Z",
	}
}

func TestSMN(t *testing.T) {
	type fixture struct {
		s *smnSigner
		t *testing.T
	}
	signed := func(f fixture, m *smnMessage) *smnMessage { f.s.sign(f.t, m); return m }
	tests := []struct {
		name string
		edit func(*alerts.Config)
		// build returns the message to send, and the topic header (empty: none)
		build         func(f fixture) (*smnMessage, string)
		wantStatus    int
		wantDecision  string
		wantIDs       []string
		wantDropped   []string
		wantProposed  int
		wantNotified  int
		wantConfirmed int32
		wantCertHits  int32
	}{
		{
			name: "alarm mapped by rule name",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, "00000000-0000-4000-8000-000000000000"))), testTopic
			},
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantProposed: 1, wantCertHits: 1,
		},
		{
			name: "alarm mapped by resource id",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, true, "alarm-c5jj", "3dc7b9ea-70b4-4c38-942d-e2636e6d844c"))), ""
			},
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idB}, wantProposed: 1, wantCertHits: 1,
		},
		{
			name: "alarm without subject",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.Subject = ""
				return signed(f, m), ""
			},
			wantStatus: 200, wantDecision: "proposed", wantIDs: []string{idA}, wantProposed: 1, wantCertHits: 1,
		},
		{
			name: "CES recovery never pauses",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, false, cesAlarmRule, ""))), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "IsAlarm absent is a recovery",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, nil, cesAlarmRule, ""))), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "unmapped alarm",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, true, "alarm-c5jj", "dcs-h4tv"))), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "DR id in free text is not used",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", "pause "+idA+" now")), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "mapped id outside the allow-list",
			edit: func(c *alerts.Config) { c.AllowedIDs = allowOnly(idC) },
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantDropped: []string{idA}, wantNotified: 1, wantCertHits: 1,
		},
		{
			name: "bad signature",
			build: func(f fixture) (*smnMessage, string) {
				m := signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, false, cesAlarmRule, "")))
				m.Message = cesMessage(f.t, true, cesAlarmRule, "") // turned into an alarm after signing
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "replayed after the window",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.Timestamp = testNow.Add(-61 * time.Minute).Format(time.RFC3339) // the window is an hour
				return signed(f, m), ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "timestamp from the future",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.Timestamp = testNow.Add(61 * time.Minute).Format(time.RFC3339)
				return signed(f, m), ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "unreadable timestamp",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.Timestamp = "2026/11/20 08:14:17"
				return signed(f, m), ""
			},
			wantStatus: 400, wantCertHits: 1,
		},
		{
			name: "subject added after signing",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.Subject = ""
				signed(f, m)
				m.Subject = "forged"
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "signature not base64",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.Signature = "%%%"
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "certificate URL on another host",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.SigningCertURL = "https://smn.cn-north-4.myhuaweicloud.com.attacker.example/cert.pem"
				return signed(f, m), ""
			},
			wantStatus: 403,
		},
		{
			name: "certificate URL over plain http",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.SigningCertURL = strings.Replace(m.SigningCertURL, "https://", "http://", 1)
				return signed(f, m), ""
			},
			wantStatus: 403,
		},
		{
			name: "certificate redirect is not followed",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.SigningCertURL = f.s.url("/smn/redirect.pem")
				return signed(f, m), ""
			},
			wantStatus: 503,
		},
		{
			name: "unknown topic in the body",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))
				m.TopicURN = otherTopic
				return signed(f, m), ""
			},
			wantStatus: 403,
		},
		{
			name: "unknown topic in the header",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))), otherTopic
			},
			wantStatus: 403,
		},
		{
			name: "route disabled", edit: func(c *alerts.Config) { c.SMNTopics = nil },
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.notification(f.t, "m1", cesMessage(f.t, true, cesAlarmRule, ""))), ""
			},
			wantStatus: 403,
		},
		{
			name: "subscription confirmed",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.confirmation("/smn/subscription/confirm")), testTopic
			},
			wantStatus: 200, wantDecision: "confirmed", wantConfirmed: 1, wantCertHits: 1,
		},
		{
			name: "subscription handed to a human when the GET fails",
			build: func(f fixture) (*smnMessage, string) {
				return signed(f, f.s.confirmation("/smn/subscription/broken")), ""
			},
			wantStatus: 200, wantDecision: "forwarded", wantNotified: 1, wantCertHits: 1,
		},
		{
			name: "subscription for an unknown topic",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.confirmation("/smn/subscription/confirm")
				m.TopicURN = otherTopic
				return signed(f, m), ""
			},
			wantStatus: 403,
		},
		{
			name: "subscribe URL on another host",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.confirmation("/smn/subscription/confirm")
				m.SubscribeURL = "https://169.254.169.254/latest/meta-data/"
				return signed(f, m), ""
			},
			wantStatus: 403,
		},
		{
			name: "subscription with a forged subscribe URL",
			build: func(f fixture) (*smnMessage, string) {
				m := signed(f, f.s.confirmation("/smn/subscription/confirm"))
				m.SubscribeURL = f.s.url("/smn/subscription/broken")
				return m, ""
			},
			wantStatus: 401, wantCertHits: 1,
		},
		{
			name: "unsubscribe confirmation",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.confirmation("/smn/subscription/confirm")
				m.Type = "UnsubscribeConfirmation"
				return signed(f, m), ""
			},
			wantStatus: 200, wantDecision: "ignored", wantCertHits: 1,
		},
		{
			name: "unknown type",
			build: func(f fixture) (*smnMessage, string) {
				m := f.s.notification(f.t, "m1", "")
				m.Type = "Surprise"
				return signed(f, m), ""
			},
			wantStatus: 400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSMNSigner(t)
			h, act, _ := setup(t, func(c *alerts.Config) {
				s.configure(c)
				if tt.edit != nil {
					tt.edit(c)
				}
			})
			m, topic := tt.build(fixture{s: s, t: t})
			header := http.Header{"X-Smn-Message-Type": {m.Type}, "X-Smn-Message-Id": {m.MessageID}}
			if topic != "" {
				header.Set("X-SMN-TOPIC-URN", topic)
			}
			body, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			status, got := post(t, h.SMN(), header, body)
			if status != tt.wantStatus {
				t.Fatalf("status: got %d; want %d", status, tt.wantStatus)
			}
			checkAnswer(t, got, tt.wantDecision, tt.wantIDs, tt.wantDropped)
			checkCalls(t, act, tt.wantProposed, 0, tt.wantNotified)
			if got := s.confirmed.Load(); got != tt.wantConfirmed {
				t.Errorf("subscribe GETs: got %d; want %d", got, tt.wantConfirmed)
			}
			if got := s.certHits.Load(); got != tt.wantCertHits {
				t.Errorf("certificate fetches: got %d; want %d", got, tt.wantCertHits)
			}
		})
	}
}

func TestSMNForwardedSubscriptionNamesTheURL(t *testing.T) {
	s := newSMNSigner(t)
	h, act, _ := setup(t, s.configure)
	m := s.confirmation("/smn/subscription/broken")
	s.sign(t, m)
	body, _ := json.Marshal(m)
	post(t, h.SMN(), nil, body)
	if len(act.notified) != 1 {
		t.Fatalf("notifications: got %d; want 1", len(act.notified))
	}
	if got := act.notified[0]; !strings.Contains(got, m.SubscribeURL) || !strings.Contains(got, testTopic) {
		t.Errorf("notification %q lacks the subscribe URL or the topic", got)
	}
}

// TestSMNRepeatedMessage: SMN retries a push it thinks failed; the message id makes it act once,
// and the signing certificate is fetched once.
func TestSMNRepeatedMessage(t *testing.T) {
	s := newSMNSigner(t)
	h, act, _ := setup(t, s.configure)
	m := s.notification(t, "1565df032a19494590d61e05f7b0dc0e", cesMessage(t, true, cesAlarmRule, ""))
	s.sign(t, m)
	body, _ := json.Marshal(m)
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
	if got := s.certHits.Load(); got != 1 {
		t.Errorf("certificate fetches: got %d; want 1", got)
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
