package aksk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestCredentialsRedacted(t *testing.T) {
	creds := Credentials{AccessKey: "AK-visible", SecretKey: "sk-must-not-show", SecurityToken: "token-must-not-show"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "credentials", creds)
	nested, err := json.Marshal(struct{ Creds Credentials }{creds})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"slog json": logged.String(),
		"json":      string(nested),
		"%v":        fmt.Sprintf("%v", creds),
		"%+v":       fmt.Sprintf("%+v", struct{ Credentials Credentials }{creds}),
		"%#v":       fmt.Sprintf("%#v", creds),
	}
	for name, out := range outputs {
		if strings.Contains(out, "must-not-show") {
			t.Errorf("%s: %s shows a secret", name, out)
		}
		if !strings.Contains(out, "AK-visible") {
			t.Errorf("%s: %s hides the access key, which identifies the credentials", name, out)
		}
	}
}
