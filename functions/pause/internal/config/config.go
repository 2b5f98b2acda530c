// Package config reads the binary's settings from the environment with envconfig, under the
// names the interface file fixes, and checks them so a bad deployment stops at start-up with one
// line naming the variable.
package config

import (
	"errors"
	"fmt"
	"github.com/dws-dr/drpause/pkg/endpoint"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/dws-dr/drpause/functions/pause/internal/access"
	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// Secret is a setting that must never be printed: every formatting path (fmt verbs, slog,
// JSON) shows a placeholder, and Reveal gives the value to the one place that needs it. It is
// rotating.Fixed, the value that never rotates, so a setting hands itself to every verifier as is.
type Secret = rotating.Fixed

// Mode is how the binary serves requests.
type Mode string

// The modes. ModeAuto picks Lambda when the Lambda runtime API is present.
const (
	ModeAuto   Mode = ""
	ModeLambda Mode = "lambda"
	ModeHTTP   Mode = "http"
)

// The ledgers DR_LEDGER names.
const (
	LedgerMemory   = "memory"
	LedgerDynamoDB = "dynamodb"
)

// Config is every setting of the binary. Field tags name the variables; see the interface file
// and the README's configuration table for their meaning.
type Config struct {
	Mode             Mode   `envconfig:"DR_MODE"`
	LambdaRuntimeAPI string `envconfig:"AWS_LAMBDA_RUNTIME_API"`
	// LambdaFunctionName is the function deferred work is sent to: this one. The region, keys
	// and endpoints of the AWS APIs are read by awsapi.FromEnv, as the SDK would read them.
	LambdaFunctionName string        `envconfig:"AWS_LAMBDA_FUNCTION_NAME"`
	Port               string        `envconfig:"PORT"`
	CustomHandlerPort  string        `envconfig:"FUNCTIONS_CUSTOMHANDLER_PORT"`
	ListenHost         string        `envconfig:"DR_LISTEN_HOST"`
	ShutdownGrace      time.Duration `envconfig:"DR_SHUTDOWN_GRACE" default:"20s"`

	ProjectID     string `envconfig:"DR_PROJECT_ID"`
	Region        string `envconfig:"DR_REGION"`
	Endpoint      string `envconfig:"DR_ENDPOINT"`
	AccessKey     string `envconfig:"HUAWEICLOUD_SDK_AK"`
	SecretKey     Secret `envconfig:"HUAWEICLOUD_SDK_SK"`
	SecurityToken Secret `envconfig:"HUAWEICLOUD_SDK_SECURITY_TOKEN"`
	Simulate      bool   `envconfig:"DR_SIMULATE" default:"false"`
	// SimulateDelay is how long the simulator keeps a paused DR in stopping, and a resumed one
	// in starting.
	SimulateDelay time.Duration `envconfig:"DR_SIMULATE_DELAY" default:"3s"`
	// SimulateLatency delays every simulator answer, to see how Slack's side behaves when the DR
	// API is slow (benchmarks, load tests, demos of a slow cloud).
	SimulateLatency time.Duration `envconfig:"DR_SIMULATE_LATENCY" default:"0s"`

	SlackSigningSecret Secret `envconfig:"SLACK_SIGNING_SECRET"`
	SlackBotToken      Secret `envconfig:"SLACK_BOT_TOKEN"`
	SlackAPIURL        string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`

	AllowedUsers    []string `envconfig:"DR_ALLOWED_USERS"`
	AllowedChannels []string `envconfig:"DR_ALLOWED_CHANNELS" default:"*"`
	AllowedIDs      []string `envconfig:"DR_ALLOWED_IDS" default:"*"`
	AllowedTeams    []string `envconfig:"DR_ALLOWED_TEAMS" default:"*"`
	Confirm         bool     `envconfig:"DR_CONFIRM" default:"true"`
	FourEyes        bool     `envconfig:"DR_FOUR_EYES" default:"false"`
	// Resume allows /dr resume and "action": "resume": off until a team opts in, since resuming
	// can carry a damaged primary over the only good copy.
	Resume bool          `envconfig:"DR_RESUME" default:"false"`
	Wait   time.Duration `envconfig:"DR_WAIT" default:"10m"`
	// Users, Channels, IDs and Teams are the lists above, parsed once by Load for every route.
	Users    *access.List `ignored:"true"`
	Channels *access.List `ignored:"true"`
	IDs      *access.List `ignored:"true"`
	Teams    *access.List `ignored:"true"`

	// Ledger is where the claims that keep the safety promises live: LedgerMemory (one process)
	// or LedgerDynamoDB (LedgerTable, shared by every instance).
	Ledger      string `envconfig:"DR_LEDGER" default:"memory"`
	LedgerTable string `envconfig:"DR_LEDGER_TABLE"`
	// AWS is how to reach DynamoDB with DR_LEDGER=dynamodb, read by Load the way the AWS SDK
	// reads Lambda's environment (region, keys, AWS_ENDPOINT_URL_DYNAMODB).
	AWS awsapi.Config `ignored:"true"`

	InvokeToken   Secret   `envconfig:"DR_INVOKE_TOKEN"`
	AlertToken    Secret   `envconfig:"DR_ALERT_TOKEN"`
	GrafanaSecret Secret   `envconfig:"DR_GRAFANA_SECRET"`
	SMNTopics     []string `envconfig:"DR_SMN_TOPICS"`
	SMNMap        string   `envconfig:"DR_SMN_MAP"`
	AlertChannel  string   `envconfig:"DR_ALERT_CHANNEL"`
	AlertAuto     bool     `envconfig:"DR_ALERT_AUTO" default:"false"`
	AlertMaxIDs   int      `envconfig:"DR_ALERT_MAX_IDS" default:"2"`
	// AlertWindow is the sliding window in which alerts may propose or pause at most
	// AlertMaxIDs distinct DR ids, across requests and instances.
	AlertWindow time.Duration `envconfig:"DR_ALERT_WINDOW" default:"10m"`

	LogLevel string `envconfig:"LOG_LEVEL" default:"info"`

	// SecretsARN names the AWS Secrets Manager secret the secret variables may come from
	// instead (see LoadWith).
	SecretsARN string `envconfig:"DR_SECRETS_ARN"`

	// fromFiles names the secret variables read from NAME_FILE; see SecretSources.
	fromFiles []string
	// fromARN names the secret variables read from the DR_SECRETS_ARN secret.
	fromARN []string
}

// Load reads the process environment into a Config and validates it. The error names the
// variable at fault and carries no value read from the environment: a secret pasted into the
// wrong variable would otherwise be printed. With DR_SECRETS_ARN set it fails: use LoadWith.
func Load() (Config, error) { return LoadWith(nil) }

// LoadWith is Load, with the secret variables DR_SECRETS_ARN holds read through read.
func LoadWith(read SecretReader) (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			// The value is left out: it may be a mistyped secret.
			return Config{}, fmt.Errorf("config: %s: invalid %s", pe.KeyName, describe(pe.TypeName))
		}
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := c.readSecretFiles(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := c.readSecretsARN(read); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c.AllowedUsers = clean(c.AllowedUsers)
	c.AllowedChannels = clean(c.AllowedChannels)
	c.AllowedIDs = clean(c.AllowedIDs)
	c.AllowedTeams = clean(c.AllowedTeams)
	c.SMNTopics = clean(c.SMNTopics)
	// Bearer tokens are trimmed here, once for every route: a token pasted with a trailing
	// newline must not leave one route open and the other refusing the same token.
	c.InvokeToken = Secret(strings.TrimSpace(c.InvokeToken.Reveal()))
	c.AlertToken = Secret(strings.TrimSpace(c.AlertToken.Reveal()))
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if c.Ledger == LedgerDynamoDB {
		aws, err := awsapi.FromEnv(os.Getenv)
		if err != nil {
			// awsapi names the variable, never its value.
			return Config{}, fmt.Errorf("config: DR_LEDGER=dynamodb: %w", err)
		}
		c.AWS = aws
	}
	return c, nil
}

// describe turns envconfig's Go type names into words an operator knows.
func describe(typeName string) string {
	switch typeName {
	case "bool":
		return "boolean: want true or false"
	case "time.Duration":
		return "duration: want e.g. 30s or 10m"
	case "int":
		return "number"
	}
	return "value"
}

// clean trims list items and drops empty ones, so "a, b," means [a b].
func clean(list []string) []string {
	out := list[:0]
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c *Config) validate() error {
	switch c.Mode {
	case ModeAuto, ModeLambda, ModeHTTP:
	default:
		return errors.New("DR_MODE: invalid: want lambda or http")
	}
	if c.Mode == ModeLambda && c.LambdaRuntimeAPI == "" {
		return errors.New("AWS_LAMBDA_RUNTIME_API: required with DR_MODE=lambda (set by the Lambda runtime)")
	}
	if _, err := c.Level(); err != nil {
		return err
	}
	if !c.Simulate {
		switch {
		case c.ProjectID == "":
			return errors.New("DR_PROJECT_ID: required unless DR_SIMULATE=true")
		case c.Region == "" && c.Endpoint == "":
			return errors.New("DR_REGION: required unless DR_ENDPOINT is set or DR_SIMULATE=true")
		}
		if err := c.checkKeys(); err != nil {
			return err
		}
	}
	if err := c.checkShapes(); err != nil {
		return err
	}
	if c.Endpoint != "" {
		if err := checkEndpoint(c.Endpoint); err != nil {
			return fmt.Errorf("DR_ENDPOINT: %w", err)
		}
	}
	// The bot token travels to this URL: the same rule as the DR endpoint keeps it off clear text.
	if err := checkEndpoint(c.SlackAPIURL); err != nil {
		return fmt.Errorf("SLACK_API_URL: %w", err)
	}
	for _, p := range []struct{ name, value string }{
		{"PORT", c.Port}, {"FUNCTIONS_CUSTOMHANDLER_PORT", c.CustomHandlerPort},
	} {
		if p.value == "" {
			continue
		}
		// 0 asks for any free port; the "listening" log line names it.
		if n, err := strconv.Atoi(p.value); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%s: invalid: want a port number", p.name)
		}
	}
	switch {
	case c.Wait <= 0:
		return errors.New("DR_WAIT: want a positive duration")
	case c.ShutdownGrace <= 0:
		return errors.New("DR_SHUTDOWN_GRACE: want a positive duration")
	case c.SimulateDelay < 0:
		return errors.New("DR_SIMULATE_DELAY: want a duration of zero or more")
	case c.SimulateLatency < 0:
		return errors.New("DR_SIMULATE_LATENCY: want a duration of zero or more")
	case c.AlertMaxIDs < 1:
		return errors.New("DR_ALERT_MAX_IDS: want a positive number")
	case c.AlertWindow <= 0:
		return errors.New("DR_ALERT_WINDOW: want a positive duration")
	}
	if len(c.AllowedChannels) == 0 {
		return errors.New("DR_ALLOWED_CHANNELS: empty: want channel ids or *")
	}
	if len(c.AllowedIDs) == 0 {
		return errors.New("DR_ALLOWED_IDS: empty: want DR ids or *")
	}
	var err error
	if c.IDs, err = access.DRIDs(c.AllowedIDs); err != nil {
		return fmt.Errorf("DR_ALLOWED_IDS: %w", err)
	}
	if len(c.AllowedTeams) == 0 {
		return errors.New("DR_ALLOWED_TEAMS: empty: want team or enterprise ids or *")
	}
	if c.Teams, err = access.SlackIDs(c.AllowedTeams); err != nil {
		return fmt.Errorf("DR_ALLOWED_TEAMS: %w", err)
	}
	switch c.Ledger {
	case LedgerMemory:
	case LedgerDynamoDB:
		if c.LedgerTable == "" {
			return errors.New("DR_LEDGER_TABLE: required with DR_LEDGER=dynamodb")
		}
		if !validTable(c.LedgerTable) {
			return errors.New("DR_LEDGER_TABLE: invalid: want a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ - .) or a table ARN")
		}
	default:
		return errors.New("DR_LEDGER: invalid: want memory or dynamodb")
	}
	if c.Users, err = access.SlackUsers(c.AllowedUsers); err != nil {
		return fmt.Errorf("DR_ALLOWED_USERS: %w", err)
	}
	if c.Channels, err = access.SlackChannels(c.AllowedChannels); err != nil {
		return fmt.Errorf("DR_ALLOWED_CHANNELS: %w", err)
	}
	// With confirmation off the requester's own command is the approval: nobody else could be
	// the second pair of eyes, so the combination would promise a safeguard it cannot give.
	if c.FourEyes && !c.Confirm {
		return errors.New("DR_FOUR_EYES: requires DR_CONFIRM=true: with confirmation off nobody else approves")
	}
	if alerts := c.AlertToken != "" || c.GrafanaSecret != "" || len(c.SMNTopics) > 0; alerts {
		// Alerts post cards whose buttons come back through /slack/interactions, to a channel,
		// with the bot token: without any of the three an alert could only be dropped.
		switch {
		case c.SlackSigningSecret == "":
			return errors.New("SLACK_SIGNING_SECRET: required when an alert route is enabled")
		case c.SlackBotToken == "":
			return errors.New("SLACK_BOT_TOKEN: required when an alert route is enabled: alert cards and results are posted with it")
		case c.AlertChannel == "":
			return errors.New("DR_ALERT_CHANNEL: required when an alert route is enabled")
		}
	}
	return nil
}

// validTable accepts what DynamoDB takes as a TableName: a name of 3 to 255 letters, digits,
// '_', '-' and '.', or a table's ARN. A typo is caught at start-up rather than as a ledger that
// is never reachable.
func validTable(s string) bool {
	if strings.HasPrefix(s, "arn:") {
		return len(s) <= 1024 && strings.Contains(s, ":table/") && !strings.ContainsAny(s, " \t\n")
	}
	if len(s) < 3 || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkKeys requires the AK/SK pair in Lambda mode. In HTTP mode both may be left out: a
// FunctionGraph function with an agency receives temporary credentials with each request (see
// AgencyOnly); half a pair is still a mistake.
func (c *Config) checkKeys() error {
	if c.AgencyOnly() {
		return nil
	}
	if !c.Lambda() {
		switch {
		case c.AccessKey == "":
			return errors.New("HUAWEICLOUD_SDK_AK: required with HUAWEICLOUD_SDK_SK: or leave both unset to take credentials from each request's FunctionGraph agency headers")
		case c.SecretKey == "":
			return errors.New("HUAWEICLOUD_SDK_SK: required with HUAWEICLOUD_SDK_AK: or leave both unset to take credentials from each request's FunctionGraph agency headers")
		}
	}
	switch {
	case c.AccessKey == "":
		return errors.New("HUAWEICLOUD_SDK_AK: required unless DR_SIMULATE=true")
	case c.SecretKey == "":
		return errors.New("HUAWEICLOUD_SDK_SK: required unless DR_SIMULATE=true")
	}
	return nil
}

// AgencyOnly reports whether the DR API credentials can only come with each request: HTTP mode
// against the real API with neither HUAWEICLOUD_SDK_AK nor HUAWEICLOUD_SDK_SK set, as on a
// FunctionGraph function whose agency sends them in X-CFF-Security-* headers.
func (c *Config) AgencyOnly() bool {
	return !c.Lambda() && !c.Simulate && c.AccessKey == "" && c.SecretKey == ""
}

// checkEndpoint allows plain http only towards the local machine, so AK/SK-signed requests
// (and the security token) never cross a network in clear text. Its errors never hold the URL,
// which may carry a password.
func checkEndpoint(raw string) error {
	_, err := endpoint.Parse(raw)
	return err
}

// Level is LOG_LEVEL as a slog level.
func (c *Config) Level() (slog.Level, error) {
	var l slog.Level
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, strings.ToLower(c.LogLevel)) {
		return l, errors.New("LOG_LEVEL: invalid: want debug, info, warn or error")
	}
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	return l, nil
}

// Lambda reports whether the binary should run the Lambda runtime loop.
func (c *Config) Lambda() bool {
	return c.Mode == ModeLambda || c.Mode == ModeAuto && c.LambdaRuntimeAPI != ""
}

// Addr is the HTTP mode's listen address: PORT, else FUNCTIONS_CUSTOMHANDLER_PORT, else 8080.
func (c *Config) Addr() string {
	port := c.Port
	if port == "" {
		port = c.CustomHandlerPort
	}
	if port == "" {
		port = "8080"
	}
	return net.JoinHostPort(c.ListenHost, port)
}
