package lambdaentry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/dws-dr/drpause/functions/pause/internal/lambdaentry"
)

// A Function URL event served by an ordinary http.Handler.
func ExampleHandler_Handle() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	h := &lambdaentry.Handler{HTTP: mux}

	event := `{"version":"2.0","rawPath":"/healthz","headers":{"host":"x.lambda-url.eu-west-1.on.aws"},
		"requestContext":{"http":{"method":"GET","path":"/healthz"}},"isBase64Encoded":false}`
	out, err := h.Handle(context.Background(), json.RawMessage(event))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	// Output: {"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"ok","isBase64Encoded":false,"cookies":null}
}
