package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// setEnv replaces the variables Load reads with env, for one test.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "DR_") || strings.HasPrefix(k, "SLACK_") || strings.HasPrefix(k, "HUAWEICLOUD_") ||
			strings.HasPrefix(k, "AWS_") || k == "PORT" || k == "FUNCTIONS_CUSTOMHANDLER_PORT" || k == "LOG_LEVEL" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadDefaults(t *testing.T) {
	setEnv(t, map[string]string{"DR_SIMULATE": "true"})
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr(), ":8080"},
		{"Wait", c.Wait, 10 * time.Minute},
		{"Confirm", c.Confirm, true},
		{"FourEyes", c.FourEyes, false},
		{"AllowedChannels", fmt.Sprint(c.AllowedChannels), "[*]"},
		{"AllowedIDs", fmt.Sprint(c.AllowedIDs), "[*]"},
		{"AllowedUsers", len(c.AllowedUsers), 0},
		{"AlertMaxIDs", c.AlertMaxIDs, 2},
		{"SlackAPIURL", c.SlackAPIURL, "https://slack.com/api/"},
		{"Lambda", c.Lambda(), false},
		{"Ledger", c.Ledger, LedgerMemory},
		{"AllowedTeams", fmt.Sprint(c.AllowedTeams), "[*]"},
	}
	for _, tt := range checks {
		if tt.got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadModeAndPort(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantLambda bool
		wantAddr   string
	}{
		{"lambda runtime", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, true, ":8080"},
		{"forced http under lambda", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "DR_MODE": "http"}, false, ":8080"},
		{"azure port", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "7071"}, false, ":7071"},
		{"PORT wins", map[string]string{"PORT": "9000", "FUNCTIONS_CUSTOMHANDLER_PORT": "7071", "DR_LISTEN_HOST": "127.0.0.1"}, false, "127.0.0.1:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["DR_SIMULATE"] = "true"
			setEnv(t, tt.env)
			c, err := Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Lambda() != tt.wantLambda || c.Addr() != tt.wantAddr {
				t.Errorf("got lambda %t addr %q; want %t %q", c.Lambda(), c.Addr(), tt.wantLambda, tt.wantAddr)
			}
		})
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	const sk = "sk-value-never-in-errors"
	real := func(extra ...string) map[string]string {
		m := map[string]string{"DR_PROJECT_ID": "p", "DR_REGION": "cn-north-4", "HUAWEICLOUD_SDK_AK": "ak", "HUAWEICLOUD_SDK_SK": sk}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no project", map[string]string{"DR_REGION": "r", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": sk}, "DR_PROJECT_ID"},
		{"no region nor endpoint", map[string]string{"DR_PROJECT_ID": "p", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": sk}, "DR_REGION"},
		{"no ak", map[string]string{"DR_PROJECT_ID": "p", "DR_REGION": "r", "HUAWEICLOUD_SDK_SK": sk}, "HUAWEICLOUD_SDK_AK"},
		{"no sk", map[string]string{"DR_PROJECT_ID": "p", "DR_REGION": "r", "HUAWEICLOUD_SDK_AK": "a"}, "HUAWEICLOUD_SDK_SK"},
		{"bad duration", real("DR_WAIT", "10 minutes"), "DR_WAIT"},
		{"zero wait", real("DR_WAIT", "0s"), "DR_WAIT"},
		{"bad bool", real("DR_FOUR_EYES", "maybe"), "DR_FOUR_EYES"},
		{"bad int", real("DR_ALERT_MAX_IDS", "two"), "DR_ALERT_MAX_IDS"},
		{"zero max ids", real("DR_ALERT_MAX_IDS", "0"), "DR_ALERT_MAX_IDS"},
		{"bad mode", real("DR_MODE", "cgi"), "DR_MODE"},
		{"lambda without runtime", real("DR_MODE", "lambda"), "AWS_LAMBDA_RUNTIME_API"},
		{"bad level", real("LOG_LEVEL", "verbose"), "LOG_LEVEL"},
		{"plain http endpoint", real("DR_ENDPOINT", "http://10.0.0.1"), "DR_ENDPOINT"},
		{"bad slack url", real("SLACK_API_URL", "slack.com/api"), "SLACK_API_URL"},
		{"bad port", real("PORT", "70000"), "PORT"},
		{"bad custom handler port", real("FUNCTIONS_CUSTOMHANDLER_PORT", "x"), "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"empty channels", real("DR_ALLOWED_CHANNELS", " , "), "DR_ALLOWED_CHANNELS"},
		{"bad id", real("DR_ALLOWED_IDS", "E59D6B86-9072-46EB-A996-13F8B44994C1"), "DR_ALLOWED_IDS"},
		{"mention as user", real("DR_ALLOWED_USERS", "U1,<@U2>"), "DR_ALLOWED_USERS"},
		{"channel name", real("DR_ALLOWED_CHANNELS", "#ops"), "DR_ALLOWED_CHANNELS"},
		{"alerts without slack", real("DR_GRAFANA_SECRET", "g"), "SLACK_SIGNING_SECRET"},
		{"alerts without bot token", real("DR_ALERT_TOKEN", "a", "SLACK_SIGNING_SECRET", "s", "DR_ALERT_CHANNEL", "C1"), "SLACK_BOT_TOKEN"},
		{"alerts without channel", real("DR_SMN_TOPICS", "urn:smn:x", "SLACK_SIGNING_SECRET", "s", "SLACK_BOT_TOKEN", "xoxb-1"), "DR_ALERT_CHANNEL"},
		{"four eyes without confirm", real("DR_FOUR_EYES", "true", "DR_CONFIRM", "false"), "DR_FOUR_EYES"},
		{"plain http slack url", real("SLACK_API_URL", "http://slack.example.com/api/"), "SLACK_API_URL"},
		{"bad user id", real("DR_ALLOWED_USERS", "U1,@alice"), "DR_ALLOWED_USERS"},
		{"bad channel id", real("DR_ALLOWED_CHANNELS", "#ops"), "DR_ALLOWED_CHANNELS"},
		{"empty teams", real("DR_ALLOWED_TEAMS", ","), "DR_ALLOWED_TEAMS"},
		{"team name", real("DR_ALLOWED_TEAMS", "T1,acme corp"), "DR_ALLOWED_TEAMS"},
		{"unknown ledger", real("DR_LEDGER", "redis"), "DR_LEDGER"},
		{"dynamodb without table", real("DR_LEDGER", "dynamodb"), "DR_LEDGER_TABLE"},
		{"bad table name", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "my table"), "DR_LEDGER_TABLE"},
		{"dynamodb without region", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "t1x",
			"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", sk), "AWS_REGION"},
		{"dynamodb without keys", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "t1x", "AWS_REGION", "eu-west-1"), "AWS_ACCESS_KEY_ID"},
		{"dynamodb over plain http", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "t1x", "AWS_REGION", "eu-west-1",
			"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", sk, "AWS_ENDPOINT_URL_DYNAMODB", "http://10.0.0.1:8000"), "AWS_ENDPOINT_URL_DYNAMODB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			_, err := Load()
			if err == nil {
				t.Fatalf("Load: got no error; want one naming %s", tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") || strings.Contains(msg, sk) {
				t.Errorf("Load: got %q; want one line naming %s, without the secret", msg, tt.want)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"endpoint instead of region", map[string]string{"DR_PROJECT_ID": "p", "DR_ENDPOINT": "https://dws.example.com", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}},
		{"loopback http endpoint", map[string]string{"DR_PROJECT_ID": "p", "DR_ENDPOINT": "http://127.0.0.1:9999", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}},
		{"lists with spaces", map[string]string{"DR_SIMULATE": "true", "DR_ALLOWED_USERS": " U1, U2 ,", "DR_ALLOWED_IDS": "e59d6b86-9072-46eb-a996-13f8b44994c1"}},
		{"any port", map[string]string{"DR_SIMULATE": "true", "PORT": "0"}},
		{"four eyes with confirm", map[string]string{"DR_SIMULATE": "true", "DR_FOUR_EYES": "true"}},
		{"loopback slack url", map[string]string{"DR_SIMULATE": "true", "SLACK_API_URL": "http://127.0.0.1:9/api/"}},
		{"alerts with slack", map[string]string{"DR_SIMULATE": "true", "DR_ALERT_TOKEN": "a", "SLACK_SIGNING_SECRET": "s",
			"SLACK_BOT_TOKEN": "xoxb-1", "DR_ALERT_CHANNEL": "C1"}},
		{"dynamodb ledger", map[string]string{"DR_SIMULATE": "true", "DR_LEDGER": "dynamodb", "DR_LEDGER_TABLE": "drpause-ledger",
			"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
			"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}},
		{"dynamodb ledger by ARN", map[string]string{"DR_SIMULATE": "true", "DR_LEDGER": "dynamodb",
			"DR_LEDGER_TABLE": "arn:aws:dynamodb:eu-west-1:123456789012:table/drpause-ledger",
			"AWS_REGION":      "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}},
		{"teams", map[string]string{"DR_SIMULATE": "true", "DR_ALLOWED_TEAMS": "T0123, E0456"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := Load()
			if err != nil {
				t.Fatalf("Load: got %v; want no error", err)
			}
			for _, u := range c.AllowedUsers {
				if u != strings.TrimSpace(u) || u == "" {
					t.Errorf("AllowedUsers: got %q; want trimmed, non-empty items", c.AllowedUsers)
				}
			}
		})
	}
}

// TestLoadBuildsAccess: the allow-lists are parsed once, here, and the bearer tokens trimmed
// once, here, for every route that uses them.
func TestLoadBuildsAccess(t *testing.T) {
	const id = "e59d6b86-9072-46eb-a996-13f8b44994c1"
	setEnv(t, map[string]string{"DR_SIMULATE": "true", "DR_ALLOWED_USERS": " U1, U2 ,", "DR_ALLOWED_CHANNELS": "C1",
		"DR_ALLOWED_IDS": id, "DR_ALLOWED_TEAMS": "T1, E2", "DR_INVOKE_TOKEN": " invoke-token\n", "DR_ALERT_TOKEN": "alert-token\t",
		"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1", "DR_ALERT_CHANNEL": "C1"})
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Users U2", c.Users.Allows("U2"), true},
		{"Users U3", c.Users.Allows("U3"), false},
		{"Channels C1", c.Channels.Allows("C1"), true},
		{"Channels C2", c.Channels.Allows("C2"), false},
		{"IDs id", c.IDs.Allows(id), true},
		{"IDs other", c.IDs.Allows("3dc7b9ea-70b4-4c38-942d-e2636e6d844c"), false},
		{"Teams T1", c.Teams.Allows("T1"), true},
		{"Teams E2", c.Teams.Allows("E2"), true},
		{"Teams T9", c.Teams.Allows("T9"), false},
		{"InvokeToken", c.InvokeToken.Reveal(), "invoke-token"},
		{"AlertToken", c.AlertToken.Reveal(), "alert-token"},
	}
	for _, tt := range checks {
		if tt.got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}

	setEnv(t, map[string]string{"DR_SIMULATE": "true"})
	if c, err = Load(); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Users.Allows("U1") || !c.Channels.Allows("C1") || !c.IDs.Allows(id) || !c.Teams.Allows("T1") {
		t.Errorf("defaults: got users U1 %t, channels C1 %t, ids %t, teams T1 %t; want nobody, every channel, every id, every team",
			c.Users.Allows("U1"), c.Channels.Allows("C1"), c.IDs.Allows(id), c.Teams.Allows("T1"))
	}
}

func TestSecretNeverFormats(t *testing.T) {
	const value = "xoxb-very-secret"
	s := Secret(value)
	c := Config{SlackBotToken: s, SecretKey: s}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})).
		Debug("config", slog.Any("secret", s), slog.Any("config", c))
	js, _ := json.Marshal(c)
	// Each verb goes through fmt on purpose: what is tested is how fmt formats a Secret.
	outputs := map[string]string{
		//lint:ignore S1025 the %s verb itself is under test, not String.
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%q": fmt.Sprintf("%q", s),
		"%x": fmt.Sprintf("%x", s), "%#v": fmt.Sprintf("%#v", s), "%+v config": fmt.Sprintf("%+v", c),
		"slog": logs.String(), "json": string(js),
	}
	for how, out := range outputs {
		if strings.Contains(out, value) || strings.Contains(out, fmt.Sprintf("%x", value)) {
			t.Errorf("%s: got %s; want the secret redacted", how, out)
		}
	}
	if s.Reveal() != value {
		t.Errorf("Reveal: got %q; want %q", s.Reveal(), value)
	}
}
