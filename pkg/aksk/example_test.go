package aksk_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
)

func ExampleSign() {
	creds := aksk.Credentials{AccessKey: "AK1234567890", SecretKey: "SK0987654321"}
	r, err := http.NewRequest(http.MethodPost, "https://dws.cn-north-4.myhuaweicloud.com/v2/89cd04f168b84af6be287f71730fdb4b/disaster-recovery/e59d6b86-9072-46eb-a996-13f8b44994c1/pause", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Set every header that should be signed before signing; temporary credentials would also
	// set X-Security-Token here.
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Project-Id", "89cd04f168b84af6be287f71730fdb4b")
	aksk.Sign(r, nil, creds, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))

	fmt.Println(r.Header.Get("X-Sdk-Date"))
	fmt.Println(r.Header.Get("Authorization"))
	// Output:
	// 20240102T030405Z
	// SDK-HMAC-SHA256 Access=AK1234567890, SignedHeaders=x-project-id;x-sdk-date, Signature=be3494c1852311f92c20e3598c69f213af3a170dfb7ce3056b0795be5bd50bd8
}

func ExampleVerify() {
	secretFor := func(accessKey string) (string, bool) { return "SK0987654321", accessKey == "AK1234567890" }
	r, err := http.NewRequest(http.MethodGet, "https://dws.cn-north-4.myhuaweicloud.com/v2/89cd04f168b84af6be287f71730fdb4b/disaster-recoveries", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Header.Set("X-Project-Id", "89cd04f168b84af6be287f71730fdb4b")
	aksk.Sign(r, nil, aksk.Credentials{AccessKey: "AK1234567890", SecretKey: "SK0987654321"}, time.Now())

	accessKey, err := aksk.Verify(r, nil, secretFor)
	fmt.Println(accessKey, err)

	// Verify leaves the clock to the caller: a gateway refuses an X-Sdk-Date (aksk.DateLayout)
	// far from its own, as drsim does past 15 minutes.

	r.Header.Set("X-Project-Id", "another-project")
	_, err = aksk.Verify(r, nil, secretFor)
	fmt.Println(err)
	// Output:
	// AK1234567890 <nil>
	// aksk: bad signature
}
