package aksk_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
)

// benchPauseRequest is a pause POST with the headers the client sets before signing.
func benchPauseRequest(b *testing.B) *http.Request {
	b.Helper()
	const pauseURL = "https://dws.cn-north-4.myhuaweicloud.com/v2/89cd04f168b84af6be287f71730fdb4b/disaster-recovery/e59d6b86-9072-46eb-a996-13f8b44994c1/pause"
	r, err := http.NewRequest(http.MethodPost, pauseURL, nil)
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("User-Agent", "drpause")
	r.Header.Set("X-Project-Id", "89cd04f168b84af6be287f71730fdb4b")
	r.Header.Set("X-Security-Token", "temporary-security-token")
	r.Header.Set("Content-Type", "application/json")
	return r
}

var benchCreds = aksk.Credentials{AccessKey: "AK1234567890", SecretKey: "SK0987654321"}

func benchSecret(ak string) (string, bool) { return benchCreds.SecretKey, ak == benchCreds.AccessKey }

// BenchmarkSign signs one pause request, as every DR API call does in package drapi. Signing the same request
// again replaces X-Sdk-Date and Authorization, and Authorization is never signed, so every
// iteration does the same work.
func BenchmarkSign(b *testing.B) {
	r := benchPauseRequest(b)
	now := time.Date(2026, 11, 20, 8, 15, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		aksk.Sign(r, nil, benchCreds, now)
	}
	if _, err := aksk.Verify(r, nil, benchSecret); err != nil {
		b.Fatalf("Verify after the loop: %v", err)
	}
}

// BenchmarkVerify checks the signature of a signed pause request, as the DR API simulator does.
func BenchmarkVerify(b *testing.B) {
	r := benchPauseRequest(b)
	aksk.Sign(r, nil, benchCreds, time.Date(2026, 11, 20, 8, 15, 0, 0, time.UTC))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aksk.Verify(r, nil, benchSecret); err != nil {
			b.Fatalf("Verify: %v", err)
		}
	}
}
