package alerts

import (
	"fmt"
	"testing"
	"time"
)

func TestIsSMNHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"smn.cn-north-4.myhuaweicloud.com", true},
		{"smn.ap-southeast-1.myhuaweicloud.com", true},
		{"smn.cn-east-3.myhuaweicloud.com", true},
		{"smn.cn-north-4.myhuaweicloud.com:443", false},
		{"smn.cn-north-4.myhuaweicloud.com.attacker.example", false},
		{"evil.smn.cn-north-4.myhuaweicloud.com", false},
		{"smn..myhuaweicloud.com", false},
		{"smn.myhuaweicloud.com", false},
		{"SMN.CN-NORTH-4.MYHUAWEICLOUD.COM", false},
		{"dws.cn-north-4.myhuaweicloud.com", false},
		{"169.254.169.254", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := isSMNHost(tt.host); got != tt.want {
				t.Errorf("isSMNHost(%q): got %t; want %t", tt.host, got, tt.want)
			}
		})
	}
}

func TestSMNURLOKDefaultRule(t *testing.T) {
	h := &Handler{hostOK: isSMNHost}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_b98100ca131b4116ab8ee7ccedbaae99.pem", true},
		{"http://smn.cn-north-4.myhuaweicloud.com/smn/x.pem", false},
		{"https://user@smn.cn-north-4.myhuaweicloud.com/smn/x.pem", false},
		{"https://smn.cn-north-4.myhuaweicloud.com@attacker.example/x.pem", false},
		{"//smn.cn-north-4.myhuaweicloud.com/x.pem", false},
		{"file:///etc/passwd", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			if got := h.smnURLOK(tt.url); got != tt.want {
				t.Errorf("smnURLOK(%q): got %t; want %t", tt.url, got, tt.want)
			}
		})
	}
}

func TestDedup(t *testing.T) {
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	t.Run("ttl", func(t *testing.T) {
		d := newDedup(time.Hour, 10)
		if !d.claim("a", now) {
			t.Fatal("first claim: got false; want true")
		}
		if d.claim("a", now.Add(59*time.Minute)) {
			t.Error("claim within the TTL: got true; want false")
		}
		if !d.claim("a", now.Add(61*time.Minute)) {
			t.Error("claim after the TTL: got false; want true")
		}
	})
	t.Run("release", func(t *testing.T) {
		d := newDedup(time.Hour, 10)
		d.claim("a", now)
		d.release([]string{"a"})
		if !d.claim("a", now) {
			t.Error("claim after release: got false; want true")
		}
		// Pushing the first claim's stale queue entry out must not forget the second claim.
		for i := range 8 { // fills the queue: the next claim pops the stale entry
			d.claim(fmt.Sprint(i), now)
		}
		if d.claim("a", now) {
			t.Error("claim after the stale entry was evicted: got true; want false")
		}
	})
	t.Run("bounded", func(t *testing.T) {
		d := newDedup(time.Hour, 3)
		for i := range 100 {
			d.claim(fmt.Sprint(i), now)
		}
		if len(d.keys) > 3 || len(d.order) > 3 {
			t.Errorf("size: got %d keys, %d queued; want at most 3", len(d.keys), len(d.order))
		}
		if d.claim("99", now) {
			t.Error("newest key: got evicted; want kept")
		}
		if !d.claim("0", now) {
			t.Error("oldest key: got kept; want evicted")
		}
	})
}
