// Package check is the self-check of a deployment: without pausing anything it asks each
// integration whether it works (the DR API's credentials and permission, the Slack bot token and
// its alert channel, the ledger) and says where the secrets came from, so a new deployment can
// be trusted before the first real pause. `drpause -check` prints its Report; a direct Lambda
// invocation {"action": "check"} answers it.
package check

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// Result is one check: its name, whether it passed, and a detail that says OK or what to fix.
type Result struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is the outcome of Run, shaped as the interface file says.
type Report struct {
	Version string   `json:"version"`
	Checks  []Result `json:"checks"`
}

// OK reports whether every check passed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Names of the checks, stable for scripts reading the report.
const (
	NameConfig       = "config"
	NameDRAPI        = "dr_api"
	NameSlackToken   = "slack_bot_token"
	NameAlertChannel = "slack_alert_channel"
	NameSecrets      = "secrets"
	NameLedger       = "ledger"
)

// Lister is what the DR API check needs; *drapi.Client satisfies it.
type Lister interface {
	List(ctx context.Context, f drapi.ListFilter) ([]drapi.Summary, error)
}

var _ Lister = (*drapi.Client)(nil)

// Pinger is a shared store the deployment depends on, reachable or not: the ledger of
// DR_LEDGER=dynamodb (*ledger.DynamoDB).
type Pinger interface {
	Ping(ctx context.Context) error
}

// SecretSource names where one secret variable's value came from ("environment", "file",
// or another source such as a secrets manager).
type SecretSource struct {
	Variable string
	From     string
}

// Config is what Run checks. Each integration left unset is reported as not configured, or
// left out when the deployment does not need it.
type Config struct {
	Version string
	// Warnings of the configuration (config.Warnings), shown in the config check.
	Warnings []string

	// DR is the DR API client, signed with the configured credentials. DRCredentials says
	// where they come from for the detail ("HUAWEICLOUD_SDK_AK/SK"); empty means none are
	// configured (a FunctionGraph agency brings them with each request only), so the call is
	// not made. Simulated: DR is the built-in simulator (DR_SIMULATE).
	DR            Lister
	DRCredentials string
	Simulated     bool

	// SlackToken is SLACK_BOT_TOKEN, SlackAPIURL SLACK_API_URL, AlertChannel DR_ALERT_CHANNEL.
	SlackToken   string
	SlackAPIURL  string
	AlertChannel string
	HTTPClient   *http.Client

	// Secrets lists the secret variables set and their source.
	Secrets []SecretSource

	// Ledger, when set, is pinged. LedgerName names it in the detail (e.g. "DynamoDB table
	// drpause-ledger"). LedgerLocal, set instead of Ledger, says why the ledger has nothing to
	// reach (DR_LEDGER=memory), reported OK as such. Both unset leave the check out.
	Ledger      Pinger
	LedgerName  string
	LedgerLocal string

	// Redact lists the secret values of the deployment: none may appear in any detail, even
	// if an outside answer echoed one.
	Redact []string
	// Timeout bounds each check; default 10s.
	Timeout time.Duration
}

// Run runs every check, concurrently, each bounded by cfg.Timeout, and returns the report in a
// fixed order. It never pauses or changes anything: the DR API gets one list call, Slack
// auth.test and conversations.info.
func Run(ctx context.Context, cfg Config) Report {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout}
	}
	bounded := func(f func(context.Context) []Result) func() []Result {
		return func() []Result {
			ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
			defer cancel()
			return f(ctx)
		}
	}
	groups := []func() []Result{
		func() []Result { return []Result{configResult(cfg.Warnings)} },
		bounded(func(ctx context.Context) []Result { return []Result{checkDR(ctx, cfg)} }),
		// The channel check needs to know how the token fared, so both run in turn.
		bounded(func(ctx context.Context) []Result { return checkSlack(ctx, cfg) }),
		func() []Result { return []Result{secretsResult(cfg.Secrets)} },
	}
	if cfg.Ledger != nil || cfg.LedgerLocal != "" {
		groups = append(groups, bounded(func(ctx context.Context) []Result { return []Result{checkLedger(ctx, cfg)} }))
	}
	results := make([][]Result, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() { results[i] = g() })
	}
	wg.Wait()
	r := Report{Version: cfg.Version, Checks: []Result{}}
	for _, rs := range results {
		for _, res := range rs {
			res.Detail = redact(res.Detail, cfg.Redact)
			r.Checks = append(r.Checks, res)
		}
	}
	return r
}

// ConfigFailed is the report of a deployment whose configuration does not load: one failed
// check naming the error, which never quotes a value.
func ConfigFailed(version string, err error) Report {
	return Report{Version: version, Checks: []Result{{Name: NameConfig, OK: false,
		Detail: err.Error() + ": fix it (see the README's troubleshooting table); nothing else was checked"}}}
}

func configResult(warnings []string) Result {
	if len(warnings) == 0 {
		return Result{Name: NameConfig, OK: true, Detail: "OK: loaded without warnings"}
	}
	return Result{Name: NameConfig, OK: true, Detail: "OK: loaded, with warnings: " + strings.Join(warnings, "; ")}
}

func secretsResult(sources []SecretSource) Result {
	if len(sources) == 0 {
		return Result{Name: NameSecrets, OK: true, Detail: "OK: no secret variable is set"}
	}
	var from []string
	byFrom := map[string][]string{}
	for _, s := range sources {
		if _, seen := byFrom[s.From]; !seen {
			from = append(from, s.From)
		}
		byFrom[s.From] = append(byFrom[s.From], s.Variable)
	}
	parts := make([]string, 0, len(from))
	for _, f := range from {
		parts = append(parts, strings.Join(byFrom[f], ", ")+" from "+f)
	}
	return Result{Name: NameSecrets, OK: true, Detail: "OK: " + strings.Join(parts, "; ")}
}

func checkLedger(ctx context.Context, cfg Config) Result {
	if cfg.Ledger == nil {
		return Result{Name: NameLedger, OK: true, Detail: "OK: " + cfg.LedgerLocal}
	}
	name := cfg.LedgerName
	if name == "" {
		name = "the ledger"
	}
	if err := cfg.Ledger.Ping(ctx); err != nil {
		// The shared ledger's own error says it is unreachable, naming it: say that once.
		if u, ok := errors.AsType[*ledger.UnavailableError](err); ok {
			err = u.Err
		}
		return Result{Name: NameLedger, OK: false, Detail: name + " is unreachable: " + err.Error() +
			": check DR_LEDGER_TABLE, the function's AWS permissions on it and AWS_ENDPOINT_URL_DYNAMODB"}
	}
	return Result{Name: NameLedger, OK: true, Detail: "OK: " + name + " answered"}
}

// redact replaces every secret value in s.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 { // shorter values would blank out ordinary words
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
