package awsapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// SecretValue is the current value of a Secrets Manager secret.
type SecretValue struct {
	String    string // SecretString
	VersionID string // VersionId, which changes at every rotation
}

// LogValue keeps the secret out of logs.
func (v SecretValue) LogValue() slog.Value {
	return slog.GroupValue(slog.String("version_id", v.VersionID), slog.String("secret", "[redacted]"))
}

// Format keeps the secret out of every fmt verb.
func (v SecretValue) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{VersionID:%s String:[redacted]}", v.VersionID)
}

// GetSecretValue reads the current string value of secret id (a name or an ARN).
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
func (c *Client) GetSecretValue(ctx context.Context, id string) (SecretValue, error) {
	if id == "" || len(id) > 2048 {
		return SecretValue{}, errors.New("Secrets Manager GetSecretValue: secret id must be 1 to 2048 characters")
	}
	var out struct {
		SecretString *string
		VersionID    string `json:"VersionId"`
	}
	if err := c.Do(ctx, SecretsManager, "GetSecretValue", struct{ SecretId string }{id}, &out); err != nil {
		return SecretValue{}, err
	}
	if out.SecretString == nil {
		return SecretValue{}, errors.New("Secrets Manager GetSecretValue: the secret has no string value (binary secrets are not supported)")
	}
	return SecretValue{String: *out.SecretString, VersionID: out.VersionID}, nil
}
