package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/bot/alerts/smntest"
)

// TestSMNConfirmedThroughTheBinary: the shipped binary confirms a real-shaped SMN subscription
// on the console the way a function behind an egress proxy does: through HTTPS_PROXY, trusting
// the roots of SSL_CERT_FILE, under the real host names (smntest's double stands behind both).
func TestSMNConfirmedThroughTheBinary(t *testing.T) {
	if err := smntest.Supported(); err != nil {
		t.Skip(err)
	}
	const (
		topic = "urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX"
		token = "477a784601d744e4ab9ab83986502d31c4b9380ec0b64392b134e517c3aa17eb"
	)
	d, err := smntest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := d.NewSigner("https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_b98100ca131b4116ab8ee7ccedbaae99.pem", key)
	if err != nil {
		t.Fatal(err)
	}
	slack := newSlack(t)
	srv := startHTTP(t, append(append(baseEnv(slack), "DR_SMN_TOPICS="+topic), d.Environ()...))

	m := &smntest.Message{
		Type:             "SubscriptionConfirmation",
		SignatureVersion: "v1",
		TopicURN:         topic,
		MessageID:        "242fac183d3a4936b5ead6c725a32ed0",
		Message:          "You are invited to subscribe to topic: " + topic + ".",
		SubscribeURL:     "https://console.huaweicloud.com/smn/subscription/confirm?token=" + token + "&topic_urn=" + topic + "&region=cn-north-4",
		Timestamp:        "2026-11-20T08:14:17Z",
	}
	if err := signer.Sign(m); err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	status, answer := post(t, srv.url+"/alerts/smn", "application/json", body, nil)
	if status != 200 || !strings.Contains(string(answer), `"decision":"confirmed"`) {
		t.Fatalf("answer: got %d %s; want 200 confirmed", status, answer)
	}
	n := 0
	for _, r := range d.Requests() {
		if r.Host == "console.huaweicloud.com" && r.Path == "/smn/subscription/confirm" && r.Query.Get("token") == token {
			n++
		}
	}
	if n != 1 {
		t.Errorf("confirmation GETs: got %d; want 1 (requests: %+v)", n, d.Requests())
	}
	if c := d.Connects(); !slices.Contains(c, "smn.cn-north-4.myhuaweicloud.com") || !slices.Contains(c, "console.huaweicloud.com") {
		t.Errorf("CONNECTs through the proxy: got %q; want SMN's host and the console", c)
	}
}
