package alerts

import "testing"

func TestTopicRegion(t *testing.T) {
	tests := []struct {
		urn, want string
		ok        bool
	}{
		{urn: "urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX", want: "cn-north-4", ok: true},
		{urn: "urn:smn:sa-brazil-1:bd4140f92d7941cdb34be53d74e37ac5:alarm-testing", want: "sa-brazil-1", ok: true},
		{urn: "urn:smn:eu-west-101:p:t", want: "eu-west-101", ok: true},
		{urn: "urn:smn:cn-north-4:p"},
		{urn: "urn:smn:cn-north-4:p:t:extra"},
		{urn: "urn:smn:CN-NORTH-4:p:t"},
		{urn: "urn:smn:cn-north-4.evil:p:t"},
		{urn: "urn:smn::p:t"},
		{urn: "urn:sns:cn-north-4:p:t"},
		{urn: ""},
	}
	for _, tt := range tests {
		got, ok := topicRegion(tt.urn)
		if got != tt.want || ok != tt.ok {
			t.Errorf("topicRegion(%q): got %q, %t; want %q, %t", tt.urn, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCertURLOK(t *testing.T) {
	const id = "b98100ca131b4116ab8ee7ccedbaae99"
	tests := []struct {
		url, region string
		want        bool
	}{
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", true},
		{"https://smn.sa-brazil-1.myhuaweicloud.com/smn/SMN_sa-brazil-1_439574c9504b45589a008b0d718fad99.pem", "sa-brazil-1", true},
		{"https://smn.cn-north-2.myhuaweicloud.cn/smn/SMN_cn-north-2_" + id + ".pem", "cn-north-2", true},
		{"https://smn.eu-west-101.myhuaweicloud.eu/smn/SMN_eu-west-101_" + id + ".pem", "eu-west-101", true},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem", "cn-east-3", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-east-3_" + id + ".pem", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".PEM", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + "0" + id + ".pem", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_.pem", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem#x", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem?", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/%53MN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/x/../SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"https://user@smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com./smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"https://SMN.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.org/smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"//smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"https:smn.cn-north-4.myhuaweicloud.com/smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
		{"file:///smn/SMN_cn-north-4_" + id + ".pem", "cn-north-4", false},
	}
	for _, tt := range tests {
		if got := certURLOK(tt.url, tt.region); got != tt.want {
			t.Errorf("certURLOK(%q, %q): got %t; want %t", tt.url, tt.region, got, tt.want)
		}
	}
}

func TestConfirmURLOK(t *testing.T) {
	tests := []struct {
		url, region string
		want        bool
	}{
		// apache/hertzbeat's captured confirmation, shortened token.
		{"https://console.huaweicloud.com/smn/subscription/confirm?token=477a78&topic_urn=urn:smn:cn-north-4:477a784601d744e4ab9ab83986502d31:CES_notification_group_bngJ2aMpX&region=cn-north-4", "cn-north-4", true},
		// The captured sa-brazil-1 confirmation.
		{"https://sa-brazil-1-console.huaweicloud.com/smn/subscription/confirm?token=bd4140&topic_urn=urn:smn:sa-brazil-1:bd4140f92d7941cdb34be53d74e37ac5:alarm-testing&region=sa-brazil-1&region_id=sa-brazil-1", "sa-brazil-1", true},
		{"https://console.huaweicloud.com/smn/subscription/confirm/v2?token=t", "cn-north-4", true},
		{"https://sa-brazil-1-console.huaweicloud.com/smn/subscription/confirm?token=t", "cn-north-4", false},
		{"https://cn-north-4-console.huaweicloud.com.evil.example/smn/subscription/confirm?token=t", "cn-north-4", false},
		{"https://console.huaweicloud.com/smn/subscription/confirmx?token=t", "cn-north-4", false},
		{"https://console.huaweicloud.com/smn/subscription/confirm/../unsubscribe?token=t", "cn-north-4", false},
		{"https://console.huaweicloud.com/smn/subscription/confirm//x", "cn-north-4", false},
		{"https://console.huaweicloud.com/smn/subscription/unsubscribe?token=t", "cn-north-4", false},
		{"https://smn.cn-north-4.myhuaweicloud.com/smn/subscription/confirm?token=t", "cn-north-4", false},
		{"http://console.huaweicloud.com/smn/subscription/confirm?token=t", "cn-north-4", false},
		{"https://console.huaweicloud.com:443/smn/subscription/confirm?token=t", "cn-north-4", false},
		{"https://a:b@console.huaweicloud.com/smn/subscription/confirm?token=t", "cn-north-4", false},
		{"https://-console.huaweicloud.com/smn/subscription/confirm?token=t", "", false},
	}
	for _, tt := range tests {
		if got := confirmURLOK(tt.url, tt.region); got != tt.want {
			t.Errorf("confirmURLOK(%q, %q): got %t; want %t", tt.url, tt.region, got, tt.want)
		}
	}
}
