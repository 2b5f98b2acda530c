package aksk

import (
	"encoding/json"
	"log/slog"
)

// Credentials are an access key pair, optionally temporary (with a security token).
// They format as redacted text, so a Credentials value logged or printed by mistake leaks nothing.
type Credentials struct {
	AccessKey string
	SecretKey string
	// SecurityToken comes with temporary credentials. Sign does not send it: the caller sets it
	// as the X-Security-Token header before signing, so that it is signed too, as the SDK does.
	SecurityToken string
}

// String redacts the secret parts.
func (c Credentials) String() string {
	return "aksk.Credentials{AccessKey:" + c.AccessKey + ", SecretKey:[redacted]}"
}

// GoString redacts the secret parts for %#v too.
func (c Credentials) GoString() string { return c.String() }

// LogValue redacts the secret parts for log/slog, whose JSON handler would otherwise marshal
// every field.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key", c.AccessKey),
		slog.String("secret_key", "[redacted]"),
		slog.Bool("temporary", c.SecurityToken != ""),
	)
}

// MarshalJSON redacts the secret parts too, for credentials that end up nested in a value
// encoded as JSON, such as a configuration dump.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
		Temporary bool   `json:"temporary"`
	}{c.AccessKey, "[redacted]", c.SecurityToken != ""})
}
