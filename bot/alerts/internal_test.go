package alerts

import (
	"testing"
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
