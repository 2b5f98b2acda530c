package alerts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts/smntest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// The fuzz targets of the alert decoders. Each feeds one route arbitrary bodies twice: without
// valid credentials, when nothing may reach Actions, and authenticated, when Actions may only
// ever hear of canonical, allow-listed ids, at most MaxIDs of them.

const (
	fuzzIDA       = "c1d2e3f4-0000-4b5c-9d8e-123456789abc"
	fuzzIDB       = "c1d2e3f4-0000-4b5c-9d8e-123456789abd"
	fuzzIDOutside = "c1d2e3f4-0000-4b5c-9d8e-123456789abf" // valid, never allow-listed
	fuzzToken     = "fuzz-alert-token"
	fuzzSecret    = "fuzz-grafana-secret"
	fuzzTopic     = "urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX"
	fuzzChannel   = "C0ALERTS"
	// fuzzSMNHost and fuzzCertFile stand in the seeds for the SMN host and the certificate name
	// of the double's fuzzing signer, which is made afresh in every run.
	fuzzSMNHost  = "smn.fuzz.invalid"
	fuzzCertFile = "SMN_cn-north-4_fuzz.pem"
)

var fuzzNow = time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)

// fuzzActions records what reached the Slack side.
type fuzzActions struct {
	mu       sync.Mutex
	calls    []bot.Proposal // ProposePause and PauseNow
	notified int
}

var _ Actions = (*fuzzActions)(nil)

func (a *fuzzActions) ProposePause(_ context.Context, p bot.Proposal) error { return a.record(p) }
func (a *fuzzActions) PauseNow(_ context.Context, p bot.Proposal) error     { return a.record(p) }

func (a *fuzzActions) record(p bot.Proposal) error {
	a.mu.Lock()
	a.calls = append(a.calls, p)
	a.mu.Unlock()
	return nil
}

func (a *fuzzActions) Notify(context.Context, string, string) error {
	a.mu.Lock()
	a.notified++
	a.mu.Unlock()
	return nil
}

// take returns what was recorded since the last take.
func (a *fuzzActions) take() (calls []bot.Proposal, notified int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	calls, notified = a.calls, a.notified
	a.calls, a.notified = nil, 0
	return calls, notified
}

// fuzzLedger is a ledger on the fuzz clock.
func fuzzLedger() *ledger.Memory {
	l := ledger.NewMemory()
	l.Now = func() time.Time { return fuzzNow }
	return l
}

// fuzzBearer stands in for the bearer check the caller builds from DR_ALERT_TOKEN.
func fuzzBearer(authorization string) bool { return authorization == "Bearer "+fuzzToken }

// fuzzHandler is a Handler under fuzzing, with its actions and the SMN double it trusts.
type fuzzHandler struct {
	h   *Handler
	act *fuzzActions
	smn *fuzzSMN
}

func newFuzzHandler(tb testing.TB, smn *fuzzSMN, auto bool) *fuzzHandler {
	tb.Helper()
	act := &fuzzActions{}
	cfg := Config{
		AlertBearer:   fuzzBearer,
		GrafanaSecret: fuzzSecret,
		SMNTopics:     []string{fuzzTopic},
		SMNMap: map[string]string{
			"alarm-dr-primary": fuzzIDA, "3dc7b9ea-70b4-4c38-942d-e2636e6d844c": fuzzIDB, "alarm-outside": fuzzIDOutside,
		},
		Channel:    fuzzChannel,
		Auto:       auto,
		AllowedIDs: func(id string) bool { return id == fuzzIDA || id == fuzzIDB },
		Ledger:     fuzzLedger(),
		Now:        func() time.Time { return fuzzNow },
	}
	h, err := New(cfg, act)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return &fuzzHandler{h: h, act: act, smn: smn}
}

// serve runs one request and returns the status, checking what reached Actions.
func (fh *fuzzHandler) serve(t *testing.T, handler http.Handler, header http.Header, body []byte) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/alerts", strings.NewReader(string(body)))
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	if w.Code == http.StatusOK {
		var res result
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatalf("got 200 with %.200q; want a decision: %v", w.Body, err)
		}
		known := []string{decisionProposed, decisionPaused, decisionIgnored, decisionRefused, decisionConfirmed, decisionForwarded}
		if !slices.Contains(known, res.Decision) {
			t.Errorf("got decision %q; want one of %v", res.Decision, known)
		}
	}
	return w.Code
}

// checkCalls fails unless every proposal or pause names only canonical, allow-listed, distinct
// ids, no more than the limit, in the alert channel, with web links only.
func checkCalls(t *testing.T, calls []bot.Proposal) {
	t.Helper()
	if len(calls) > 1 {
		t.Errorf("got %d proposals or pauses for one request; want at most 1", len(calls))
	}
	for _, p := range calls {
		if len(p.IDs) == 0 || len(p.IDs) > defaultMaxIDs {
			t.Errorf("got a proposal of %d ids; want 1 to %d", len(p.IDs), defaultMaxIDs)
		}
		for i, id := range p.IDs {
			if err := drapi.ValidateID(id); err != nil {
				t.Errorf("got proposal id %q: %v", id, err)
			}
			if id != fuzzIDA && id != fuzzIDB {
				t.Errorf("got proposal id %q; want only allow-listed ids", id)
			}
			if slices.Contains(p.IDs[:i], id) {
				t.Errorf("got id %s twice in %v", id, p.IDs)
			}
		}
		if p.Channel != fuzzChannel {
			t.Errorf("got channel %q; want %q", p.Channel, fuzzChannel)
		}
		for _, l := range p.Links {
			if u, err := url.Parse(l.URL); err != nil || u.Scheme != "http" && u.Scheme != "https" {
				t.Errorf("got link %q; want http(s) only", l.URL)
			}
		}
	}
}

// checkStatus fails unless status is one of want.
func checkStatus(t *testing.T, what string, status int, want ...int) {
	t.Helper()
	if !slices.Contains(want, status) {
		t.Errorf("%s: got status %d; want one of %v", what, status, want)
	}
}

// webhookSeeds are Alertmanager and Grafana bodies like the reference's, and hostile ones.
func webhookSeeds() []string {
	alert := func(status, id, fingerprint string) string {
		return `{"status":"` + status + `","labels":{"alertname":"DWSPrimaryUnhealthy","disaster_recovery_id":` +
			strconv.Quote(id) + `,"severity":"critical"},"annotations":{"summary":"Primary DWS cluster unhealthy"},` +
			`"startsAt":"2026-11-20T08:14:03.512Z","endsAt":"0001-01-01T00:00:00Z",` +
			`"generatorURL":"http://prometheus:9090/graph?g0.expr=up","fingerprint":"` + fingerprint + `"}`
	}
	envelope := func(truncated int, alerts ...string) string {
		return `{"receiver":"dws-dr-pause","status":"firing","alerts":[` + strings.Join(alerts, ",") + `],` +
			`"groupLabels":{"alertname":"DWSPrimaryUnhealthy"},"commonLabels":{"alertname":"DWSPrimaryUnhealthy"},` +
			`"externalURL":"http://alertmanager:9093","version":"4","truncatedAlerts":` + strconv.Itoa(truncated) + `}`
	}
	return []string{
		envelope(0, alert("firing", fuzzIDA, "5f3a9c2e8b7d4a10")),
		envelope(0, alert("resolved", fuzzIDA, "5f3a9c2e8b7d4a11")),
		envelope(0, alert("firing", fuzzIDA, "a1"), alert("firing", fuzzIDB, "a2")),
		envelope(0, alert("firing", fuzzIDA, "b1"), alert("firing", fuzzIDB, "b2"), alert("firing", fuzzIDOutside, "b3")),
		envelope(3, alert("firing", fuzzIDA, "c1")),
		envelope(0, alert("firing", fuzzIDOutside, "d1")),
		envelope(0, alert("firing", "../../clusters/x", "e1")),
		envelope(0, alert("firing", fuzzIDA+"?a=b", "e2")),
		envelope(0, alert("firing", "с1d2e3f4-0000-4b5c-9d8e-123456789abc", "e3")), // Cyrillic с
		envelope(0, alert("firing", " "+strings.ToUpper(fuzzIDA)+" ", "e4")),
		envelope(0, alert("firing", fuzzIDA+"\r\nX-Injected: 1", "e5")),
		envelope(0, alert("firing", "\xff\xfe", "e6")),
		envelope(0, alert("firing", strings.Repeat("ab", 3000), "e7")),
		`{"status":"firing","title":"[FIRING:1] DWS","state":"alerting","orgId":1,"alerts":[{"status":"firing",` +
			`"labels":{"alertname":"DatasourceNoData","disaster_recovery_id":"` + fuzzIDA + `"},"startsAt":"2026-11-20T08:14:03Z",` +
			`"silenceURL":"javascript:alert(1)","dashboardURL":"file:///etc/passwd","panelURL":"http://grafana:3000/d/x",` +
			`"values":{"A":1},"valueString":"[ var='A' value=1 ]"}],"externalURL":"http://grafana:3000/"}`,
		`{"alerts":null}`, `{"alerts":[{}]}`, `{"alerts":[{"status":"firing","labels":null}]}`,
		`{"truncatedAlerts":-1,"alerts":[]}`, `[]`, `null`, `{`, "",
	}
}

// FuzzAlertmanager serves arbitrary bodies to /alerts/alertmanager, with an arbitrary
// Authorization header and then with the right token, in card mode and in auto mode.
func FuzzAlertmanager(f *testing.F) {
	for _, s := range webhookSeeds() {
		f.Add([]byte(s), "Bearer wrong")
	}
	f.Add([]byte(webhookSeeds()[0]), "")
	f.Add([]byte(webhookSeeds()[0]), "bearer "+fuzzToken+"x")
	f.Add([]byte(webhookSeeds()[0]), "Basic "+base64.StdEncoding.EncodeToString([]byte(fuzzToken)))
	handlers := []*fuzzHandler{newFuzzHandler(f, nil, false), newFuzzHandler(f, nil, true)}
	f.Fuzz(func(t *testing.T, body []byte, authorization string) {
		for _, fh := range handlers {
			status := fh.serve(t, fh.h.Alertmanager(), http.Header{"Authorization": {authorization}}, body)
			if !fuzzBearer(authorization) {
				checkStatus(t, "wrong token", status, http.StatusUnauthorized)
				if calls, notified := fh.act.take(); len(calls) != 0 || notified != 0 {
					t.Errorf("wrong token: got %d actions and %d notices; want none", len(calls), notified)
				}
			}
			fh.act.take()

			status = fh.serve(t, fh.h.Alertmanager(), http.Header{"Authorization": {"Bearer " + fuzzToken}}, body)
			checkStatus(t, "right token", status, http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
			calls, _ := fh.act.take()
			checkCalls(t, calls)
		}
	})
}

// FuzzGrafana serves arbitrary bodies to /alerts/grafana with an arbitrary signature, then
// signed with the secret at an arbitrary timestamp; the window decides whether it may act.
func FuzzGrafana(f *testing.F) {
	now := strconv.FormatInt(fuzzNow.Unix(), 10)
	for _, s := range webhookSeeds() {
		f.Add([]byte(s), "00", now)
	}
	f.Add([]byte(webhookSeeds()[0]), hex.EncodeToString(make([]byte, sha256.Size)), "")
	f.Add([]byte(webhookSeeds()[0]), "", strconv.FormatInt(fuzzNow.Add(-6*time.Minute).Unix(), 10))
	f.Add([]byte(webhookSeeds()[0]), "", "1e9")
	f.Add([]byte(webhookSeeds()[0]), "", "-9223372036854775808")
	handlers := []*fuzzHandler{newFuzzHandler(f, nil, false), newFuzzHandler(f, nil, true)}
	f.Fuzz(func(t *testing.T, body []byte, signature, timestamp string) {
		for _, fh := range handlers {
			header := http.Header{headerGrafanaSignature: {signature}, headerGrafanaTimestamp: {timestamp}}
			status := fh.serve(t, fh.h.Grafana(), header, body)
			if sig, err := hex.DecodeString(signature); err != nil || !hmac.Equal(sig, grafanaMAC(fuzzSecret, timestamp, body)) {
				checkStatus(t, "forged signature", status, http.StatusUnauthorized, http.StatusRequestEntityTooLarge)
				if calls, notified := fh.act.take(); len(calls) != 0 || notified != 0 {
					t.Errorf("forged signature: got %d actions and %d notices; want none", len(calls), notified)
				}
			}
			fh.act.take()

			header.Set(headerGrafanaSignature, hex.EncodeToString(grafanaMAC(fuzzSecret, timestamp, body)))
			status = fh.serve(t, fh.h.Grafana(), header, body)
			if fh.h.checkTimestamp(timestamp) != nil {
				checkStatus(t, "signed without a timestamp, or outside the window", status, http.StatusUnauthorized)
			} else {
				checkStatus(t, "signed", status, http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
			}
			calls, _ := fh.act.take()
			checkCalls(t, calls)
			if status != http.StatusOK && len(calls) != 0 {
				t.Errorf("signed: got status %d after %d actions; want actions only with 200", status, len(calls))
			}
		}
	})
}

// fuzzSMN is a signer of the package's SMN double: its certificate is published under SMN's real
// host, and the double counts the confirmations it receives. ECDSA keeps signing cheap enough to
// sign every fuzz input.
type fuzzSMN struct {
	double *smntest.Server
	signer *smntest.Signer
}

func newFuzzSMN(tb testing.TB) *fuzzSMN {
	tb.Helper()
	d := SMNDouble(tb)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("generate key: %v", err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	g, err := d.NewSigner("https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_"+hex.EncodeToString(id)+".pem", key)
	if err != nil {
		tb.Fatal(err)
	}
	return &fuzzSMN{double: d, signer: g}
}

// local points the seeds' placeholders at the double: the certificate at the signer's, and
// subscribe URLs at the console.
func (s *fuzzSMN) local(body []byte) []byte {
	u, _ := url.Parse(s.signer.CertURL)
	r := strings.NewReplacer(
		fuzzSMNHost+"/smn/"+fuzzCertFile, u.Host+u.Path,
		fuzzSMNHost+"/smn/subscription/", "console.huaweicloud.com/smn/subscription/",
		fuzzSMNHost, u.Host)
	return []byte(r.Replace(string(body)))
}

// confirmed counts the confirmations the double received.
func (s *fuzzSMN) confirmed() int {
	n := 0
	for _, r := range s.double.Requests() {
		if r.Path == "/smn/subscription/confirm" {
			n++
		}
	}
	return n
}

// sign signs m as SMN does, the signed text built by the double, not by the package.
func (s *fuzzSMN) sign(t *testing.T, m *smntest.Message) {
	t.Helper()
	if err := s.signer.Sign(m); err != nil {
		t.Fatal(err)
	}
}

// cesSeeds are Cloud Eye alarms as SMN carries them, JSON inside the message string.
func cesSeeds() []string {
	ces := func(isAlarm, rule, resource string) string {
		return `{"version":"v1","data":{"AccountName":"dws-ops","Namespace":"SYS.DWS","ResourceName":"dws-primary",` +
			`"MetricName":"dws001_shared_buffer_hit_ratio","IsAlarm":` + isAlarm + `,"AlarmLevel":"紧急","RegionId":"cn-north-4",` +
			`"ResourceId":"` + resource + `","AlarmTime":"2026/11/20 16:14:15 GMT+08:00",` +
			`"AlarmRecordID":"ah1748876175242njvndyzMZ","AlarmRuleName":"` + rule + `"}}`
	}
	return []string{
		ces("true", "alarm-dr-primary", "cluster-x"),
		ces("true", "alarm-c5jj", "3dc7b9ea-70b4-4c38-942d-e2636e6d844c"),
		ces("false", "alarm-dr-primary", "cluster-x"),
		ces("true", "alarm-outside", ""),
		ces(`"true"`, "alarm-dr-primary", ""),
		ces("true", "../../clusters/x", fuzzIDA),
		ces("true", "alarm-dr-primary\r\nX: y", ""),
		`{"IsAlarm":true,"AlarmRuleName":"alarm-dr-primary"}`,
		`{"data":null,"IsAlarm":true,"AlarmRuleName":"alarm-dr-primary"}`,
		`{"data":{"IsAlarm":true},"AlarmRuleName":"alarm-dr-primary"}`,
		"Plain text alarm naming " + fuzzIDA,
		"\xff", "", `{"data":[]}`,
	}
}

// FuzzSMN serves arbitrary bodies to /alerts/smn, none validly signed: whatever the envelope
// says, nothing reaches Actions and no subscription is confirmed.
func FuzzSMN(f *testing.F) {
	certURL := "https://" + fuzzSMNHost + "/smn/" + fuzzCertFile
	envelope := func(typ, message, extra string) string {
		return `{"type":"` + typ + `","signature":"Igs0bBhzw0JGmlgBH+9ejw2x==","subject":"[华为云][紧急告警]云监控通知：dws-primary已触发告警。",` +
			`"topic_urn":"` + fuzzTopic + `","message_id":"1565df032a19494590d61e05f7b0dc0e","message":` + strconv.Quote(message) +
			`,"signing_cert_url":"` + certURL + `","timestamp":"2026-11-20T08:14:17Z"` + extra + `}`
	}
	for _, m := range cesSeeds() {
		f.Add([]byte(envelope("Notification", m, "")), fuzzTopic)
	}
	for _, s := range []string{
		envelope("SubscriptionConfirmation", "You are invited", `,"signature_version":"v1","subscribe_url":"https://`+fuzzSMNHost+`/smn/subscription/confirm?token=t"`),
		envelope("UnsubscribeConfirmation", "bye", `,"subscribe_url":"https://`+fuzzSMNHost+`/smn/subscription/confirm"`),
		envelope("SubscriptionConfirmation", "x", `,"subscribe_url":"http://169.254.169.254/latest/meta-data"`),
		envelope("Notification", "x", `,"signature_version":"v2"`),
		envelope("Notification", "x", `,"signing_cert_url":"https://smn.cn-north-4.myhuaweicloud.com@attacker.example/x.pem"`),
		envelope("Notification", "x", `,"signing_cert_url":"file:///etc/passwd"`),
		envelope("Other", "x", ""),
		`{"type":"Notification","topic_urn":"urn:smn:other"}`,
		`{"signature":"!!!not base64"}`, `[]`, `null`, "",
	} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(envelope("Notification", "x", "")), "urn:smn:other")
	f.Add([]byte(envelope("Notification", "x", "")), fuzzTopic+"\r\nX-Injected: 1")

	fh := newFuzzHandler(f, newFuzzSMN(f), false)
	f.Fuzz(func(t *testing.T, body []byte, topicHeader string) {
		header := http.Header{}
		if !strings.ContainsAny(topicHeader, "\r\n") {
			header.Set(headerSMNTopicURN, topicHeader)
		}
		before := fh.smn.confirmed()
		status := fh.serve(t, fh.h.SMN(), header, fh.smn.local(body))
		checkStatus(t, "unsigned", status, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
			http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable)
		if calls, notified := fh.act.take(); len(calls) != 0 || notified != 0 {
			t.Errorf("unsigned: got %d actions and %d notices; want none", len(calls), notified)
		}
		if n := fh.smn.confirmed() - before; n != 0 {
			t.Errorf("unsigned: got %d subscription confirmations; want none", n)
		}
	})
}

// FuzzSMNNotification signs notifications whose fields, the CES alarm inside message above
// all, are arbitrary: a verified notification is answered 200 and acts only on ids DR_SMN_MAP
// gives, when allow-listed.
func FuzzSMNNotification(f *testing.F) {
	for i, m := range cesSeeds() {
		// A timestamp inside the accepted window, so the seeds reach the decoder.
		f.Add(m, "[华为云][紧急告警]云监控通知：dws-primary已触发告警。", "1565df032a19494590d61e05f7b0dc0"+strconv.Itoa(i%10), fuzzNow.Add(-time.Minute).Format(time.RFC3339))
	}
	f.Add(cesSeeds()[0], "", "", "")
	f.Add(cesSeeds()[0], "subject\r\nX-Injected: 1", "id\x00", "\xff")

	smn := newFuzzSMN(f)
	handlers := []*fuzzHandler{newFuzzHandler(f, smn, false), newFuzzHandler(f, smn, true)}
	f.Fuzz(func(t *testing.T, message, subject, messageID, timestamp string) {
		for _, fh := range handlers {
			m := smntest.Message{
				Type: smnNotification, Subject: subject, TopicURN: fuzzTopic, MessageID: messageID,
				Message: message, Timestamp: timestamp,
			}
			smn.sign(t, &m)
			body, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			status := fh.serve(t, fh.h.SMN(), http.Header{}, body)
			if len(body) > maxBody {
				checkStatus(t, "signed", status, http.StatusRequestEntityTooLarge)
			} else if !signedFieldsOK(m) {
				checkStatus(t, "signed, fields that could be re-cut", status, http.StatusBadRequest)
			} else if !utf8Valid(m) {
				// JSON turned invalid UTF-8 into U+FFFD, so the signature no longer matches; the
				// timestamp may be refused first.
				checkStatus(t, "signed, not UTF-8", status, http.StatusOK, http.StatusUnauthorized, http.StatusBadRequest)
			} else if ts, err := time.Parse(time.RFC3339, timestamp); err != nil {
				checkStatus(t, "signed, unreadable timestamp", status, http.StatusBadRequest)
			} else if d := fuzzNow.Sub(ts); d > smnWindow || d < -smnWindow {
				checkStatus(t, "signed, replayed or future", status, http.StatusUnauthorized)
			} else {
				checkStatus(t, "signed", status, http.StatusOK)
			}
			calls, _ := fh.act.take()

			checkCalls(t, calls)
		}
	})
}

// signedFieldsOK reports whether m's single-line signed fields hold no newline and its message
// id is hex, as in every captured SMN message: only then is there one way to cut the signed text.
func signedFieldsOK(m smntest.Message) bool {
	id := m.MessageID
	if id == "" || len(id) > 64 || strings.Trim(id, "0123456789abcdefABCDEF") != "" {
		return false
	}
	return !strings.Contains(m.Subject+m.MessageID+m.Timestamp, "\n")
}

// utf8Valid reports whether every signed field of m survives JSON unchanged.
func utf8Valid(m smntest.Message) bool {
	for _, s := range []string{m.Message, m.Subject, m.MessageID, m.Timestamp} {
		b, _ := json.Marshal(s)
		var back string
		if json.Unmarshal(b, &back) != nil || back != s {
			return false
		}
	}
	return true
}

// FuzzSMNURL checks the production rules for signing_cert_url and subscribe_url, for a topic of
// cn-north-4: a URL either accepts is fetched over https from SMN's certificate path on SMN's
// host, or from the console's confirmation path on the console, and nowhere else, however the
// URL is spelled.
func FuzzSMNURL(f *testing.F) {
	for _, s := range []string{
		"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_b98100ca131b4116ab8ee7ccedbaae99.pem",
		"https://smn.cn-north-2.myhuaweicloud.cn/smn/SMN_cn-north-4_b98100ca131b4116ab8ee7ccedbaae99.pem",
		"https://console.huaweicloud.com/smn/subscription/confirm?token=t&topic_urn=urn:smn:cn-north-4:p:t&region=cn-north-4",
		"https://cn-north-4-console.huaweicloud.com/smn/subscription/confirm?token=t",
		"https://console.huaweicloud.com/smn/subscription/confirm/%2e%2e/x",
		"https://smn.cn-north-4.myhuaweicloud.com/smn/subscription/confirm?token=t",
		"https://smn.cn-north-4.myhuaweicloud.com:8443/x.pem",
		"https://smn.cn-north-4.myhuaweicloud.com@attacker.example/x.pem",
		"https://attacker.example#@smn.cn-north-4.myhuaweicloud.com/x.pem",
		"https://attacker.example\\@smn.cn-north-4.myhuaweicloud.com/x.pem",
		"https://smn.cn-north-4.myhuaweicloud.com.attacker.example/x.pem",
		"https://smn.cn-north-4.myhuaweicloud.com%2F@attacker.example/",
		"https://smn.cn-north-4.myhuaweicloud.com\r\nHost: attacker.example/",
		"https://smn.cn-north-4.myhuaweicloud.com./x.pem",
		"https://SMN.cn-north-4.myhuaweicloud.com/x.pem",
		"https://smn.cn-north-4.myhuaweicloud.com\u3002attacker.example/", // ideographic full stop
		"https://[::1]/x.pem", "http://smn.cn-north-4.myhuaweicloud.com/x.pem", "//smn.cn-north-4.myhuaweicloud.com/x", "",
	} {
		f.Add(s)
	}
	const region = "cn-north-4"
	f.Fuzz(func(t *testing.T, raw string) {
		cert, confirm := certURLOK(raw, region), confirmURLOK(raw, region)
		if !cert && !confirm {
			return
		}
		req, err := http.NewRequest(http.MethodGet, raw, nil)
		if err != nil {
			t.Fatalf("%q accepted (certificate %t, confirmation %t), but no request can be built for it: %v", raw, cert, confirm, err)
		}
		u := req.URL
		if u.Scheme != "https" || u.User != nil || u.Port() != "" || req.Host != u.Host {
			t.Errorf("%q accepted: a request to %s://%s (Host %q); want https, no user or port", raw, u.Scheme, u.Host, req.Host)
		}
		if cert {
			hosts := []string{"smn." + region + ".myhuaweicloud.com", "smn." + region + ".myhuaweicloud.cn", "smn." + region + ".myhuaweicloud.eu"}
			name := strings.TrimSuffix(strings.TrimPrefix(u.EscapedPath(), "/smn/SMN_"+region+"_"), ".pem")
			if !slices.Contains(hosts, u.Host) || u.EscapedPath() != "/smn/SMN_"+region+"_"+name+".pem" ||
				name == "" || strings.Trim(name, "0123456789abcdef") != "" || u.RawQuery != "" {
				t.Errorf("certificate URL %q accepted: host %q, path %q; want SMN's certificate of %s", raw, u.Host, u.EscapedPath(), region)
			}
		}
		if confirm {
			p := u.EscapedPath()
			if (u.Host != "console.huaweicloud.com" && u.Host != region+"-console.huaweicloud.com") ||
				(p != "/smn/subscription/confirm" && !strings.HasPrefix(p, "/smn/subscription/confirm/")) ||
				slices.Contains(strings.Split(u.Path, "/"), "..") {
				t.Errorf("confirmation URL %q accepted: host %q, path %q; want the console's confirmation path", raw, u.Host, p)
			}
		}
	})
}
