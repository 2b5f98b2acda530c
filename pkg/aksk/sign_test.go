package aksk

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// The four vectors of shared/reference/dws-dr-api.md (section 5), each checked there against the official SDK.
func TestSignVectors(t *testing.T) {
	sdkDate := func(s string) time.Time {
		tm, err := time.Parse(DateLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	const pauseURL = "https://dws.cn-north-4.myhuaweicloud.com/v2/89cd04f168b84af6be287f71730fdb4b/disaster-recovery/e59d6b86-9072-46eb-a996-13f8b44994c1/pause"
	tests := []struct {
		name    string
		method  string
		url     string
		headers map[string]string
		body    []byte
		creds   Credentials
		date    string
		want    string
	}{
		{
			name: "get with query and underscore header", method: "GET", url: "https://example.com/path?limit=1",
			headers: map[string]string{"TEST_UNDERSCORE": "TEST_VALUE"},
			creds:   Credentials{AccessKey: "AccessKey", SecretKey: "SecretKey"}, date: "20060102T150405Z",
			want: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
		},
		{
			name: "post with json body", method: "POST", url: "https://example.com/path?key=value",
			headers: map[string]string{"TEST_UNDERSCORE": "TEST_VALUE", "Content-Type": "application/json"},
			body:    []byte("{\"Name\":\"test\",\"Id\":1}\n"),
			creds:   Credentials{AccessKey: "AccessKey", SecretKey: "SecretKey"}, date: "20060102T150405Z",
			want: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
		},
		{
			name: "pause with user agent", method: "POST", url: pauseURL,
			headers: map[string]string{"User-Agent": "huaweicloud-usdk-go/3.0", "Content-Type": "application/json", "X-Project-Id": "89cd04f168b84af6be287f71730fdb4b"},
			creds:   Credentials{AccessKey: "AK1234567890", SecretKey: "SK0987654321"}, date: "20240102T030405Z",
			want: "SDK-HMAC-SHA256 Access=AK1234567890, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=ae608ec41a73dce4296954028a921497d499d99639f0d133e8a4c410eec9efb8",
		},
		{
			name: "pause without user agent", method: "POST", url: pauseURL,
			headers: map[string]string{"Content-Type": "application/json", "X-Project-Id": "89cd04f168b84af6be287f71730fdb4b"},
			creds:   Credentials{AccessKey: "AK1234567890", SecretKey: "SK0987654321"}, date: "20240102T030405Z",
			want: "SDK-HMAC-SHA256 Access=AK1234567890, SignedHeaders=x-project-id;x-sdk-date, Signature=be3494c1852311f92c20e3598c69f213af3a170dfb7ce3056b0795be5bd50bd8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(tt.method, tt.url, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header = http.Header{} // NewRequest sets nothing, but be explicit: only the vector's headers.
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			Sign(r, tt.body, tt.creds, sdkDate(tt.date))
			if got := r.Header.Get("Authorization"); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			secret := func(ak string) (string, bool) { return tt.creds.SecretKey, ak == tt.creds.AccessKey }
			if _, err := Verify(r, tt.body, secret); err != nil {
				t.Errorf("Verify of a freshly signed request: %v", err)
			}
			r.Header.Set("X-Project-Id", "tampered")
			if _, err := Verify(r, tt.body, secret); err == nil && tt.headers["X-Project-Id"] != "" {
				t.Error("Verify accepted a request whose signed header was changed")
			}
		})
	}
}

func TestCanonicalRequestOfPauseVector(t *testing.T) {
	r, _ := http.NewRequest("POST", "https://dws.cn-north-4.myhuaweicloud.com/v2/89cd04f168b84af6be287f71730fdb4b/disaster-recovery/e59d6b86-9072-46eb-a996-13f8b44994c1/pause", nil)
	r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	r.Header.Set("X-Project-Id", "89cd04f168b84af6be287f71730fdb4b")
	r.Header.Set("X-Sdk-Date", "20240102T030405Z")
	got := canonicalRequest(r, signedHeaderNames(r.Header), emptyBodyHash)
	want := "POST\n/v2/89cd04f168b84af6be287f71730fdb4b/disaster-recovery/e59d6b86-9072-46eb-a996-13f8b44994c1/pause/\n\n" +
		"user-agent:huaweicloud-usdk-go/3.0\nx-project-id:89cd04f168b84af6be287f71730fdb4b\nx-sdk-date:20240102T030405Z\n\n" +
		"user-agent;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestVerifyRejects(t *testing.T) {
	creds := Credentials{AccessKey: "AK", SecretKey: "SK"}
	secret := func(ak string) (string, bool) { return "SK", ak == "AK" }
	newReq := func() *http.Request {
		r, _ := http.NewRequest("GET", "http://127.0.0.1/v2/p/disaster-recoveries?id=x", nil)
		r.Header.Set("X-Project-Id", "p")
		Sign(r, nil, creds, time.Now())
		return r
	}
	tests := []struct {
		name   string
		mutate func(r *http.Request) []byte
	}{
		{"no authorization", func(r *http.Request) []byte { r.Header.Del("Authorization"); return nil }},
		{"unknown access key", func(r *http.Request) []byte {
			r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(Algorithm)+8]+"X"+r.Header.Get("Authorization")[len(Algorithm)+8:])
			return nil
		}},
		{"query changed", func(r *http.Request) []byte { r.URL.RawQuery = "id=y"; return nil }},
		{"path changed", func(r *http.Request) []byte { r.URL.Path = "/v2/q/disaster-recoveries"; return nil }},
		{"body added", func(r *http.Request) []byte { return []byte("{}") }},
		{"date changed", func(r *http.Request) []byte { r.Header.Set("X-Sdk-Date", "20000101T000000Z"); return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReq()
			body := tt.mutate(r)
			if _, err := Verify(r, body, secret); err == nil {
				t.Error("got nil error; want ErrBadSignature")
			}
		})
	}
}
