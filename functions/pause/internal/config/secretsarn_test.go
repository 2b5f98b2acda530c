package config

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// arnCanary is a value held by the DR_SECRETS_ARN secret: no error may show it.
const arnCanary = "arn-CANARY-7d3e9f1a"

const testARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:drpause-AbCdEf"

// fromSecret is a SecretReader holding values, which records the ARN it was asked for.
func fromSecret(values map[string]string, asked *string) SecretReader {
	return func(arn string) (map[string]string, error) {
		*asked = arn
		return maps.Clone(values), nil
	}
}

// TestSecretsARN: the secret variables DR_SECRETS_ARN holds fill the Config before it is
// checked, so a deployment that keeps every secret there starts.
func TestSecretsARN(t *testing.T) {
	setEnv(t, map[string]string{
		"DR_SECRETS_ARN": testARN, "DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4",
		"DR_ALERT_CHANNEL": "C1",
		// An empty variable counts as unset, as SAM passes "" for what is not used.
		"DR_GRAFANA_SECRET": "",
	})
	var asked string
	secret := map[string]string{
		"HUAWEICLOUD_SDK_AK": "AKCANARY", "HUAWEICLOUD_SDK_SK": arnCanary, "SLACK_SIGNING_SECRET": "sig",
		"SLACK_BOT_TOKEN": "xoxb-1", "DR_ALERT_TOKEN": " alert-token\n", "DR_GRAFANA_SECRET": "gf",
	}
	c, err := LoadWith(fromSecret(secret, &asked))
	if err != nil {
		t.Fatalf("LoadWith: %v", err)
	}
	if asked != testARN {
		t.Errorf("secret read: got %q; want %q", asked, testARN)
	}
	got := map[string]string{
		"HUAWEICLOUD_SDK_AK": c.AccessKey, "HUAWEICLOUD_SDK_SK": c.SecretKey.Reveal(),
		"SLACK_SIGNING_SECRET": c.SlackSigningSecret.Reveal(), "SLACK_BOT_TOKEN": c.SlackBotToken.Reveal(),
		"DR_ALERT_TOKEN": c.AlertToken.Reveal(), "DR_GRAFANA_SECRET": c.GrafanaSecret.Reveal(),
	}
	for name, want := range secret {
		if name == "DR_ALERT_TOKEN" {
			want = strings.TrimSpace(want) // bearer tokens are trimmed wherever they come from
		}
		if got[name] != want {
			t.Errorf("%s: got %d bytes; want the secret's %d", name, len(got[name]), len(want))
		}
	}
	// The self-check says where each came from: the secret, not the environment.
	for _, src := range c.SecretSources() {
		if src.From != FromSecretsManager {
			t.Errorf("SecretSources: %s from %q; want %q", src.Variable, src.From, FromSecretsManager)
		}
	}
	if n := len(c.SecretSources()); n != len(secret) {
		t.Errorf("SecretSources: got %d variables; want the secret's %d", n, len(secret))
	}
}

// secretsARNErrorCases are the deployments LoadWith refuses for their DR_SECRETS_ARN secret, with
// the reader each one meets. The README's troubleshooting table is checked against their errors.
func secretsARNErrorCases(t *testing.T) []struct {
	name string
	env  map[string]string
	read SecretReader
	want string
} {
	var asked string
	secret := fromSecret(map[string]string{"SLACK_SIGNING_SECRET": arnCanary, "DR_INVOKE_TOKEN": arnCanary}, &asked)
	env := func(extra ...string) map[string]string {
		m := map[string]string{"DR_SIMULATE": "true", "DR_SECRETS_ARN": testARN}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	return []struct {
		name string
		env  map[string]string
		read SecretReader
		want string
	}{
		{"also in the environment", env("SLACK_SIGNING_SECRET", "canary-env"), secret, "SLACK_SIGNING_SECRET: set in the environment and in the DR_SECRETS_ARN secret"},
		{"also as a file", env("DR_INVOKE_TOKEN_FILE", writeSecret(t, "file-canary")), secret, "DR_INVOKE_TOKEN: set in the environment and in the DR_SECRETS_ARN secret"},
		{"unreadable", env(), func(string) (map[string]string, error) {
			return nil, errors.New("cannot read the secret: AccessDeniedException")
		}, "DR_SECRETS_ARN: cannot read the secret"},
	}
}

func TestSecretsARNErrors(t *testing.T) {
	for _, tt := range secretsARNErrorCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			_, err := LoadWith(tt.read)
			if err == nil || !strings.HasPrefix(err.Error(), "config: "+tt.want) {
				t.Fatalf("LoadWith: got %v; want config: %s...", err, tt.want)
			}
			if msg := err.Error(); strings.Contains(msg, arnCanary) || strings.Contains(msg, "canary") {
				t.Errorf("LoadWith: got %q; want no value quoted", msg)
			}
		})
	}
}

// TestSecretsARNNeedsReader: Load alone cannot read the secret, and says so rather than start
// without the secrets.
func TestSecretsARNNeedsReader(t *testing.T) {
	setEnv(t, map[string]string{"DR_SIMULATE": "true", "DR_SECRETS_ARN": testARN})
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "DR_SECRETS_ARN") {
		t.Errorf("Load: got %v; want an error naming DR_SECRETS_ARN", err)
	}
}

// TestSecretsARNLeavesEmptyAlone: a key the secret sets to "" does not clash with the
// environment, as the secrets the template used to list were all present, unused ones empty.
func TestSecretsARNLeavesEmptyAlone(t *testing.T) {
	setEnv(t, map[string]string{"DR_SIMULATE": "true", "DR_SECRETS_ARN": testARN, "DR_INVOKE_TOKEN": "env-token"})
	var asked string
	c, err := LoadWith(fromSecret(map[string]string{"DR_INVOKE_TOKEN": ""}, &asked))
	if err != nil {
		t.Fatalf("LoadWith: %v", err)
	}
	if c.InvokeToken.Reveal() != "env-token" {
		t.Error("DR_INVOKE_TOKEN: got another value; want the environment's")
	}
}

func TestSecretNames(t *testing.T) {
	names := SecretNames()
	if len(names) != 8 || names[0] != "HUAWEICLOUD_SDK_AK" || names[7] != "DR_GRAFANA_SECRET" {
		t.Errorf("SecretNames: got %q; want the 8 secret variables of the interface file", names)
	}
}
