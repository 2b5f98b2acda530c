package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
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
		{"AlertWindow", c.AlertWindow, 10 * time.Minute},
		{"Ledger", c.Ledger, "memory"},
		{"SlackAPIURL", c.SlackAPIURL, "https://slack.com/api/"},
		{"Lambda", c.Lambda(), false},
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

// canary is in every value the error table gives that fails by itself (numbers aside, which
// have no room for it): no error may quote a value, as a secret pasted into the wrong variable
// would otherwise be printed. It is matched in any case, since some values are upper case.
const canary = "canary"

// projectID is a well-shaped project id.
const projectID = "89cd04f168b84af6be287f71730fdb4b"

// sk is the secret key of the error table's deployments.
const sk = "sk-value-never-in-errors"

// loadErrorCase is a deployment Load refuses, and the variable its error must name.
type loadErrorCase struct {
	name string
	env  map[string]string
	want string
}

// loadErrorCases are the deployments Load refuses. The README's troubleshooting table is
// checked against their errors.
func loadErrorCases() []loadErrorCase {
	real := func(extra ...string) map[string]string {
		m := map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4", "HUAWEICLOUD_SDK_AK": "ak", "HUAWEICLOUD_SDK_SK": sk}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	return []loadErrorCase{
		{"no project", map[string]string{"DR_REGION": "cn-north-4", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": sk}, "DR_PROJECT_ID"},
		{"no region nor endpoint", map[string]string{"DR_PROJECT_ID": projectID, "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": sk}, "DR_REGION"},
		{"no ak", map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4", "HUAWEICLOUD_SDK_SK": sk}, "HUAWEICLOUD_SDK_AK"},
		{"no sk", map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4", "HUAWEICLOUD_SDK_AK": "a"}, "HUAWEICLOUD_SDK_SK"},
		{"no keys in lambda", map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4",
			"DR_MODE": "lambda", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, "HUAWEICLOUD_SDK_AK"},
		{"no sk in lambda", map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4", "HUAWEICLOUD_SDK_AK": "a",
			"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, "HUAWEICLOUD_SDK_SK"},
		{"bad duration", real("DR_WAIT", "10 canary minutes"), "DR_WAIT"},
		{"zero wait", real("DR_WAIT", "0s"), "DR_WAIT"},
		{"zero shutdown grace", real("DR_SHUTDOWN_GRACE", "0s"), "DR_SHUTDOWN_GRACE"},
		{"negative simulator delay", real("DR_SIMULATE_DELAY", "-1s"), "DR_SIMULATE_DELAY"},
		{"negative simulator latency", real("DR_SIMULATE_LATENCY", "-1s"), "DR_SIMULATE_LATENCY"},
		{"bad bool", real("DR_FOUR_EYES", "maybe-canary"), "DR_FOUR_EYES"},
		{"bad int", real("DR_ALERT_MAX_IDS", "two-canaries"), "DR_ALERT_MAX_IDS"},
		{"zero max ids", real("DR_ALERT_MAX_IDS", "0"), "DR_ALERT_MAX_IDS"},
		{"bad alert window", real("DR_ALERT_WINDOW", "ten minutes"), "DR_ALERT_WINDOW"},
		{"zero alert window", real("DR_ALERT_WINDOW", "0s"), "DR_ALERT_WINDOW"},
		{"bad ledger", real("DR_LEDGER", "redis"), "DR_LEDGER"},
		{"dynamodb ledger without table", real("DR_LEDGER", "dynamodb"), "DR_LEDGER_TABLE"},
		{"bad mode", real("DR_MODE", "canary"), "DR_MODE"},
		{"lambda without runtime", real("DR_MODE", "lambda"), "AWS_LAMBDA_RUNTIME_API"},
		{"bad level", real("LOG_LEVEL", "canary"), "LOG_LEVEL"},
		{"region without its last hyphen", real("DR_REGION", "cn-canary4"), "DR_REGION"},
		{"region in capitals", real("DR_REGION", "CN-Canary-4"), "DR_REGION"},
		{"region with a host in it", real("DR_REGION", "cn-north-4.canary.example"), "DR_REGION"},
		{"region bad even with an endpoint", real("DR_REGION", "canary", "DR_ENDPOINT", "https://dws.example.com"), "DR_REGION"},
		{"project name", real("DR_PROJECT_ID", "my-canary-project"), "DR_PROJECT_ID"},
		{"project id in capitals", real("DR_PROJECT_ID", "89CD04F168B84AF6BE287F7173CANARY"), "DR_PROJECT_ID"},
		{"project id too short", real("DR_PROJECT_ID", projectID[:31]), "DR_PROJECT_ID"},
		{"plain http endpoint", real("DR_ENDPOINT", "http://canary.example.com"), "DR_ENDPOINT"},
		{"endpoint with a password", real("DR_ENDPOINT", "https://user:canary@dws.example.com"), "DR_ENDPOINT"},
		{"plain http endpoint with a password", real("DR_ENDPOINT", "http://user:canary@10.0.0.1"), "DR_ENDPOINT"},
		{"endpoint not a URL", real("DR_ENDPOINT", "https://user:canary@[::1"), "DR_ENDPOINT"},
		{"endpoint with a query", real("DR_ENDPOINT", "https://dws.example.com/?token=canary"), "DR_ENDPOINT"},
		{"endpoint of another scheme", real("DR_ENDPOINT", "ftp://canary.example.com"), "DR_ENDPOINT"},
		{"bad slack url", real("SLACK_API_URL", "canary.example.com/api"), "SLACK_API_URL"},
		{"plain http slack url", real("SLACK_API_URL", "http://canary.example.com/api/"), "SLACK_API_URL"},
		{"slack url with a password", real("SLACK_API_URL", "https://user:canary@slack.com/api/"), "SLACK_API_URL"},
		{"bad port", real("PORT", "canary"), "PORT"},
		{"bad custom handler port", real("FUNCTIONS_CUSTOMHANDLER_PORT", "canary"), "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"empty channels", real("DR_ALLOWED_CHANNELS", " , "), "DR_ALLOWED_CHANNELS"},
		{"empty ids", real("DR_ALLOWED_IDS", " , "), "DR_ALLOWED_IDS"},
		{"bad id", real("DR_ALLOWED_IDS", "E59D6B86-9072-46EB-A996-13F8B44994C1,canary"), "DR_ALLOWED_IDS"},
		{"mention as user", real("DR_ALLOWED_USERS", "U1,<@UCANARY>"), "DR_ALLOWED_USERS"},
		{"user name", real("DR_ALLOWED_USERS", "U1,canary"), "DR_ALLOWED_USERS"},
		{"handle as user", real("DR_ALLOWED_USERS", "U1,@canary"), "DR_ALLOWED_USERS"},
		{"lowercase user id", real("DR_ALLOWED_USERS", "ucanary"), "DR_ALLOWED_USERS"},
		{"channel name", real("DR_ALLOWED_CHANNELS", "#canary"), "DR_ALLOWED_CHANNELS"},
		{"channel name without #", real("DR_ALLOWED_CHANNELS", "C1,dr-canary"), "DR_ALLOWED_CHANNELS"},
		{"user id as channel", real("DR_ALLOWED_CHANNELS", "UCANARY"), "DR_ALLOWED_CHANNELS"},
		{"alert channel name", real("DR_ALERT_CHANNEL", "#dr-canary"), "DR_ALERT_CHANNEL"},
		{"alert channel name, alerts on", real("DR_ALERT_TOKEN", "a", "SLACK_SIGNING_SECRET", "s", "SLACK_BOT_TOKEN", "xoxb-1",
			"DR_ALERT_CHANNEL", "dr-canary"), "DR_ALERT_CHANNEL"},
		{"alerts without slack", real("DR_GRAFANA_SECRET", "g"), "SLACK_SIGNING_SECRET"},
		{"alerts without bot token", real("DR_ALERT_TOKEN", "a", "SLACK_SIGNING_SECRET", "s", "DR_ALERT_CHANNEL", "C1"), "SLACK_BOT_TOKEN"},
		{"alerts without channel", real("DR_SMN_TOPICS", "urn:smn:x", "SLACK_SIGNING_SECRET", "s", "SLACK_BOT_TOKEN", "xoxb-1"), "DR_ALERT_CHANNEL"},
		{"four eyes without confirm", real("DR_FOUR_EYES", "true", "DR_CONFIRM", "false"), "DR_FOUR_EYES"},
		{"empty teams", real("DR_ALLOWED_TEAMS", ","), "DR_ALLOWED_TEAMS"},
		{"team name", real("DR_ALLOWED_TEAMS", "T1,acme canary"), "DR_ALLOWED_TEAMS"},
		{"bad table name", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "my canary table"), "DR_LEDGER_TABLE"},
		{"dynamodb without region", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "t1x",
			"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", sk), "AWS_REGION"},
		{"dynamodb without keys", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "t1x", "AWS_REGION", "eu-west-1"), "AWS_ACCESS_KEY_ID"},
		{"dynamodb over plain http", real("DR_LEDGER", "dynamodb", "DR_LEDGER_TABLE", "t1x", "AWS_REGION", "eu-west-1",
			"AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", sk, "AWS_ENDPOINT_URL_DYNAMODB", "http://canary.example:8000"), "AWS_ENDPOINT_URL_DYNAMODB"},
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	for _, tt := range loadErrorCases() {
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
			if strings.Contains(strings.ToLower(msg), canary) {
				t.Errorf("Load: got %q; want no value quoted", msg)
			}
		})
	}
}

// TestTroubleshootingListsEveryStartupLine: the README's troubleshooting section names every
// start-up error and warning, so an operator who meets one finds its cause and fix there. A
// line is known by its variable and first phrase ("DR_REGION: invalid"), item numbers as N.
func TestTroubleshootingListsEveryStartupLine(t *testing.T) {
	readme, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Troubleshooting\n")
	if !ok {
		t.Fatal("README: no ## Troubleshooting section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	item := regexp.MustCompile(`item [0-9]+`)
	key := func(line string) string {
		line = item.ReplaceAllString(strings.TrimPrefix(line, "config: "), "item N")
		variable, rest, _ := strings.Cut(line, ": ")
		phrase, _, _ := strings.Cut(rest, ": ")
		return variable + ": " + phrase
	}
	var lines []string
	for _, tt := range loadErrorCases() {
		setEnv(t, tt.env)
		if _, err := Load(); err != nil {
			lines = append(lines, err.Error())
		}
	}
	for _, tt := range secretsARNErrorCases(t) {
		setEnv(t, tt.env)
		if _, err := LoadWith(tt.read); err != nil {
			lines = append(lines, err.Error())
		}
	}
	for _, env := range []map[string]string{
		{"DR_SIMULATE": "true"},
		{"DR_SIMULATE": "true", "DR_ALLOWED_USERS": "*", "DR_REGION": "xx-newplace-7"},
		{"DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4", "DR_ALLOWED_USERS": "U1"},
	} {
		setEnv(t, env)
		c, err := Load()
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		for _, w := range c.Warnings() {
			lines = append(lines, w.Variable+": "+w.Message)
		}
	}
	for _, line := range lines {
		if k := key(line); !strings.Contains(section, "`"+k) {
			t.Errorf("README troubleshooting: no row for %q (line %q)", k, line)
		}
	}
}

// TestLoadErrorsOfTheIssue: the values of issue 11 that started without complaint, or failed
// without naming their variable, each stop start-up with a line naming it and not the value.
func TestLoadErrorsOfTheIssue(t *testing.T) {
	tests := []struct{ variable, value string }{
		{"DR_REGION", "cn-north4"},
		{"DR_REGION", "CN-North-4"},
		{"DR_PROJECT_ID", "my-project"},
		{"DR_ALLOWED_USERS", "alice"},
		{"DR_ALLOWED_CHANNELS", "#dr-ops"},
		{"DR_ALERT_CHANNEL", "#dr-ops"},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			setEnv(t, map[string]string{"DR_SIMULATE": "true", tt.variable: tt.value})
			_, err := Load()
			if err == nil || !strings.HasPrefix(err.Error(), "config: "+tt.variable+": ") || strings.Contains(err.Error(), tt.value) {
				t.Errorf("Load: got %v; want an error naming %s, without the value", err, tt.variable)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"endpoint instead of region", map[string]string{"DR_PROJECT_ID": projectID, "DR_ENDPOINT": "https://dws.example.com", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}},
		{"loopback http endpoint", map[string]string{"DR_PROJECT_ID": projectID, "DR_ENDPOINT": "http://127.0.0.1:9999", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}},
		{"region with a long number", map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "eu-west-101", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}},
		{"region not known yet", map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "xx-newplace-7", "HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "s"}},
		{"lists with spaces", map[string]string{"DR_SIMULATE": "true", "DR_ALLOWED_USERS": " U1, U2 ,", "DR_ALLOWED_IDS": "e59d6b86-9072-46eb-a996-13f8b44994c1"}},
		{"every kind of id", map[string]string{"DR_SIMULATE": "true", "DR_ALLOWED_USERS": "U012AB3CD,W0GRID", "DR_ALLOWED_CHANNELS": "C012AB3CD,G0PRIVATE,D0DM"}},
		{"any port", map[string]string{"DR_SIMULATE": "true", "PORT": "0"}},
		{"four eyes with confirm", map[string]string{"DR_SIMULATE": "true", "DR_FOUR_EYES": "true"}},
		{"loopback slack url", map[string]string{"DR_SIMULATE": "true", "SLACK_API_URL": "http://127.0.0.1:9/api/"}},
		{"alerts with slack", map[string]string{"DR_SIMULATE": "true", "DR_ALERT_TOKEN": "a", "SLACK_SIGNING_SECRET": "s",
			"SLACK_BOT_TOKEN": "xoxb-1", "DR_ALERT_CHANNEL": "C1"}},
		{"alerts to a private channel", map[string]string{"DR_SIMULATE": "true", "DR_ALERT_TOKEN": "a", "SLACK_SIGNING_SECRET": "s",
			"SLACK_BOT_TOKEN": "xoxb-1", "DR_ALERT_CHANNEL": "G0PRIVATE"}},
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

// TestLoadWarnings: settings that start but may not do what was meant are named for main to
// log, without their values.
func TestLoadWarnings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // the variables warned about
	}{
		{name: "listed users, known region", env: map[string]string{"DR_ALLOWED_USERS": "U1", "DR_REGION": "cn-north-4"}},
		{name: "no region", env: map[string]string{"DR_ALLOWED_USERS": "U1"}},
		{name: "nobody allowed", env: map[string]string{}, want: []string{"DR_ALLOWED_USERS"}},
		{name: "everybody allowed", env: map[string]string{"DR_ALLOWED_USERS": "U1,*"}, want: []string{"DR_ALLOWED_USERS"}},
		{name: "region not known yet", env: map[string]string{"DR_ALLOWED_USERS": "U1", "DR_REGION": "xx-canary-7"}, want: []string{"DR_REGION"}},
		{name: "both", env: map[string]string{"DR_ALLOWED_USERS": "*", "DR_REGION": "xx-canary-7"}, want: []string{"DR_REGION", "DR_ALLOWED_USERS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["DR_SIMULATE"] = "true"
			setEnv(t, tt.env)
			c, err := Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var got []string
			for _, w := range c.Warnings() {
				got = append(got, w.Variable)
				if w.Message == "" || strings.Contains(strings.ToLower(w.Message), canary) {
					t.Errorf("warning %+v: want a message without the value", w)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("warnings about %v; want %v", got, tt.want)
			}
		})
	}
}

// TestLoadAgencyOnly: HTTP mode against the real API starts without AK/SK, warning that every
// DR call needs a FunctionGraph agency's request headers; Lambda mode and half a pair do not.
func TestLoadAgencyOnly(t *testing.T) {
	base := func(extra ...string) map[string]string {
		m := map[string]string{"DR_PROJECT_ID": projectID, "DR_REGION": "cn-north-4", "DR_ALLOWED_USERS": "U1"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	tests := []struct {
		name       string
		env        map[string]string
		wantErr    string // the variable the error names; empty: Load succeeds
		wantAgency bool
	}{
		{name: "http mode by default", env: base(), wantAgency: true},
		{name: "http mode asked for", env: base("DR_MODE", "http", "AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"), wantAgency: true},
		{name: "keys set", env: base("HUAWEICLOUD_SDK_AK", "a", "HUAWEICLOUD_SDK_SK", sk)},
		{name: "simulator", env: map[string]string{"DR_SIMULATE": "true", "DR_ALLOWED_USERS": "U1"}},
		{name: "lambda", env: base("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"), wantErr: "HUAWEICLOUD_SDK_AK"},
		{name: "half a pair", env: base("HUAWEICLOUD_SDK_SK", sk), wantErr: "HUAWEICLOUD_SDK_AK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := Load()
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "config: "+tt.wantErr+": required") {
					t.Fatalf("Load: got %v; want an error saying %s is required", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.AgencyOnly() != tt.wantAgency {
				t.Errorf("AgencyOnly: got %t; want %t", c.AgencyOnly(), tt.wantAgency)
			}
			warned := false
			for _, w := range c.Warnings() {
				warned = warned || w.Variable == "HUAWEICLOUD_SDK_AK" && strings.Contains(w.Message, "X-CFF-Security-*")
			}
			if warned != tt.wantAgency {
				t.Errorf("warning about the agency headers: got %t; want %t (%+v)", warned, tt.wantAgency, c.Warnings())
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
