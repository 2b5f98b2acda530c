package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fileCanary is the value written into secret files: no error may ever show it.
const fileCanary = "file-CANARY-3f9a1c7e5d"

// writeSecret writes content into a fresh file and returns its path.
func writeSecret(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// withoutKey copies env without key.
func withoutKey(env map[string]string, key string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// fileBase is a valid configuration whose alert route needs every Slack setting, so that a
// secret read from a file is also seen by validation.
var fileBase = map[string]string{
	"DR_SIMULATE": "true", "SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1", "DR_ALERT_CHANNEL": "C1",
}

// TestSecretFromFile: every secret variable of the interface file may be given as NAME_FILE,
// one trailing newline trimmed.
func TestSecretFromFile(t *testing.T) {
	tests := []struct {
		name string
		get  func(Config) string
	}{
		{"HUAWEICLOUD_SDK_AK", func(c Config) string { return c.AccessKey }},
		{"HUAWEICLOUD_SDK_SK", func(c Config) string { return c.SecretKey.Reveal() }},
		{"HUAWEICLOUD_SDK_SECURITY_TOKEN", func(c Config) string { return c.SecurityToken.Reveal() }},
		{"SLACK_SIGNING_SECRET", func(c Config) string { return c.SlackSigningSecret.Reveal() }},
		{"SLACK_BOT_TOKEN", func(c Config) string { return c.SlackBotToken.Reveal() }},
		{"DR_INVOKE_TOKEN", func(c Config) string { return c.InvokeToken.Reveal() }},
		{"DR_ALERT_TOKEN", func(c Config) string { return c.AlertToken.Reveal() }},
		{"DR_GRAFANA_SECRET", func(c Config) string { return c.GrafanaSecret.Reveal() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := withoutKey(fileBase, tt.name)
			env[tt.name+"_FILE"] = writeSecret(t, fileCanary+"\n")
			setEnv(t, env)
			c, err := Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.get(c); got != fileCanary {
				t.Errorf("%s: got %q; want the file's content without its newline", tt.name, got)
			}
			if v, ok := os.LookupEnv(tt.name); ok && v != "" {
				t.Errorf("%s: the value was put into the process environment", tt.name)
			}
		})
	}
	if n := len((&Config{}).secretFields()); n != len(tests) {
		t.Errorf("secret fields: got %d; want the %d secrets of the interface file", n, len(tests))
	}
}

// TestSecretFileTrimsOneNewline: only the newline an editor or echo adds goes; whatever else
// the file holds is the secret.
func TestSecretFileTrimsOneNewline(t *testing.T) {
	tests := []struct{ content, want string }{
		{"abc", "abc"},
		{"abc\n", "abc"},
		{"abc\r\n", "abc"},
		{"abc\n\n", "abc\n"},
		{" abc \n", " abc "},
	}
	for _, tt := range tests {
		env := withoutKey(fileBase, "SLACK_SIGNING_SECRET")
		env["SLACK_SIGNING_SECRET_FILE"] = writeSecret(t, tt.content)
		setEnv(t, env)
		c, err := Load()
		if err != nil {
			t.Fatalf("Load %q: %v", tt.content, err)
		}
		if got := c.SlackSigningSecret.Reveal(); got != tt.want {
			t.Errorf("file %q: got %q; want %q", tt.content, got, tt.want)
		}
	}
}

// TestSecretFileErrors: a secret given both ways, or a file that cannot serve as one, stops
// start-up with one line naming the variables, never the value nor the path (which may be a
// secret pasted into the wrong variable).
func TestSecretFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"both set",
			map[string]string{"HUAWEICLOUD_SDK_SK": fileCanary, "HUAWEICLOUD_SDK_SK_FILE": writeSecret(t, fileCanary)},
			[]string{"HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_SK_FILE"}},
		{"secret pasted as path",
			map[string]string{"DR_INVOKE_TOKEN_FILE": filepath.Join(dir, fileCanary)},
			[]string{"DR_INVOKE_TOKEN_FILE", "no such file"}},
		{"directory",
			map[string]string{"SLACK_BOT_TOKEN_FILE": dir},
			[]string{"SLACK_BOT_TOKEN_FILE", "cannot read"}},
		{"empty file",
			map[string]string{"DR_ALERT_TOKEN_FILE": writeSecret(t, "\n")},
			[]string{"DR_ALERT_TOKEN_FILE", "empty"}},
		{"too large",
			map[string]string{"DR_GRAFANA_SECRET_FILE": writeSecret(t, fileCanary+strings.Repeat("x", maxSecretFile))},
			[]string{"DR_GRAFANA_SECRET_FILE", "larger"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DR_SIMULATE": "true"}
			for k, v := range tt.env {
				env[k] = v
			}
			setEnv(t, env)
			_, err := Load()
			if err == nil {
				t.Fatalf("Load: got no error; want one naming %s", tt.want)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Load: got %q; want it to say %q", msg, w)
				}
			}
			if strings.Contains(msg, fileCanary) || strings.Contains(msg, dir) || strings.Contains(msg, "\n") {
				t.Errorf("Load: got %q; want one line without the value or the path", msg)
			}
		})
	}
}

// TestEmptySecretVariablesAreUnset: templates pass "" for what they do not use; "" beside a
// NAME_FILE is not a conflict.
func TestEmptySecretVariablesAreUnset(t *testing.T) {
	setEnv(t, map[string]string{"DR_SIMULATE": "true", "DR_INVOKE_TOKEN": "",
		"DR_INVOKE_TOKEN_FILE": writeSecret(t, fileCanary), "DR_ALERT_TOKEN_FILE": ""})
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.InvokeToken.Reveal() != fileCanary || c.AlertToken != "" {
		t.Errorf("got invoke token from file %t, alert token set %t; want true, false",
			c.InvokeToken.Reveal() == fileCanary, c.AlertToken != "")
	}
}

// TestSecretSources: the self-check learns where each secret came from, by name only.
func TestSecretSources(t *testing.T) {
	env := withoutKey(fileBase, "SLACK_BOT_TOKEN")
	env["SLACK_BOT_TOKEN_FILE"] = writeSecret(t, fileCanary+"\n")
	setEnv(t, env)
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := c.SecretSources()
	want := []SecretSource{{"SLACK_SIGNING_SECRET", FromEnvironment}, {"SLACK_BOT_TOKEN", FromFile}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("SecretSources: got %+v; want %+v", got, want)
	}
}
