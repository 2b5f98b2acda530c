package drapi

import (
	"encoding/json"
	"log/slog"
)

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
