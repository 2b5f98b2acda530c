package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/functions/pause/internal/access"
	"github.com/dws-dr/drpause/functions/pause/internal/check"
	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/functions/pause/internal/lambdaentry"
	"github.com/dws-dr/drpause/functions/pause/internal/server"
	"github.com/dws-dr/drpause/functions/pause/internal/version"
	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// parts is what wire builds: the product as one http.Handler, and what the modes add around it.
type parts struct {
	handler http.Handler
	invoke  *invoke.Service                        // direct Lambda invocations
	bot     *bot.Bot                               // nil without SLACK_SIGNING_SECRET
	jobs    *lambdaentry.Jobs[bot.Job]             // the bot's deferred work in Lambda mode; nil otherwise
	check   func(ctx context.Context) check.Report // the self-check of a direct invocation
	ledger  ledgerOf                               // the one ledger, which the self-check checks
}

// ledgerOf is every part's view of the one ledger: each consumer defines the part it uses.
type ledgerOf interface {
	bot.Ledger
	alerts.Ledger
	invoke.Ledger
	lambdaentry.JobLedger
	String() string
}

// newLedger returns the ledger DR_LEDGER names: one for the whole process, shared by the Slack
// side, the alerts, /invoke and the Lambda jobs, so each promise it keeps holds across all of
// them; with dynamodb, across every instance too. Nothing is read from it at start-up: a cold
// start pays no round trip, and an unreachable table shows at the first claim, which then
// pauses nothing and says so. DynamoDB is reached through the process's one AWS client, the one
// the self-invocation and the Secrets Manager reads use.
func newLedger(cfg config.Config, sec *secretSet) (ledgerOf, error) {
	if cfg.Ledger != config.LedgerDynamoDB {
		return ledger.NewMemory(), nil
	}
	c, err := sec.aws()
	if err != nil {
		return nil, fmt.Errorf("config: DR_LEDGER=dynamodb: %w", err)
	}
	return ledger.NewDynamoDB(c, cfg.LedgerTable), nil
}

// wire builds every route. The rules each route applies (the allow-lists Load parsed, a bearer
// check per token), the ledger and the secrets are built once here and handed to whoever
// applies them.
func wire(cfg config.Config, dr bot.DR, follow drapi.FollowOptions, hc *http.Client, sec *secretSet, log *slog.Logger) (parts, error) {
	led, err := newLedger(cfg, sec)
	if err != nil {
		return parts{}, err
	}
	log.Info("ledger", slog.String("ledger", led.String()))
	if cfg.Ledger == config.LedgerMemory && cfg.Lambda() {
		log.Warn("DR_LEDGER=memory in Lambda: each instance keeps its own ledger, so single-use cards and one pause per DR hold only within one instance; set DR_LEDGER=dynamodb")
	}
	p := parts{ledger: led, invoke: invoke.New(invoke.Config{Wait: cfg.Wait, AllowedIDs: cfg.IDs.Allows, Follow: follow, Ledger: led, Simulated: cfg.Simulate,
		Resume: cfg.Resume, Paused: bot.PauseRecorder(led, log)}, dr)}
	invokeBearer := access.RotatingBearer(sec.secret("DR_INVOKE_TOKEN", cfg.InvokeToken))
	deps := server.Deps{Logger: log, Invoke: invoke.Handler(p.invoke, invokeBearer, log),
		FunctionGraph: functionGraph(cfg)}
	if cfg.SlackSigningSecret == "" {
		log.Warn("Slack and alert routes are off: SLACK_SIGNING_SECRET is not set")
		p.handler = server.NewServer(deps)
		return p, nil
	}
	if slices.Contains(cfg.AllowedUsers, "*") && slices.Contains(cfg.AllowedTeams, "*") {
		log.Warn("DR_ALLOWED_USERS and DR_ALLOWED_TEAMS are both *: anyone in any Slack organisation that can reach a channel with the app, Slack Connect included, can pause")
	}
	var deferrer bot.Deferrer // nil: the bot runs deferred work in this process
	if cfg.Lambda() {
		p.jobs = selfInvokingJobs(cfg, led, sec, log)
		deferrer = p.jobs
	}
	if p.bot, err = addSlack(&deps, cfg, dr, follow, deferrer, led, hc, sec, log); err != nil {
		return parts{}, err
	}
	if p.jobs != nil {
		p.jobs.Run, p.jobs.Abandon = p.bot.Run, p.bot.Abandon
	}
	p.handler = server.NewServer(deps)
	return p, nil
}

// functionGraph says what the routes make of FunctionGraph's request headers: in HTTP mode they
// mark the request (its work is done within the answer), and unless the simulator serves the DR
// API, the agency's X-CFF-Security-* headers are that request's DR API credentials, required
// when no AK/SK is set. Lambda mode only removes them.
func functionGraph(cfg config.Config) server.FunctionGraph {
	if cfg.Lambda() {
		return server.FunctionGraph{}
	}
	return server.FunctionGraph{Recognise: true, Credentials: !cfg.Simulate, Required: cfg.AgencyOnly()}
}

// platform tells the bot what server.PlatformOf learned of a request.
func platform(ctx context.Context) bot.Platform {
	p := server.PlatformOf(ctx)
	return bot.Platform{AnswerWindowOnly: p.FunctionGraph, Refusal: p.CredentialsProblem}
}

// checkConfig is what the self-check checks in this deployment: the DR client the routes use
// (following rotated credentials), the Slack bot token and alert channel, the ledger the routes use, where the
// secrets came from. Every secret value is handed over for redaction, never for display.
func checkConfig(cfg config.Config, dr check.Lister, led ledgerOf, hc *http.Client, sec *secretSet) check.Config {
	c := check.Config{
		Version:      version.String(),
		DR:           dr,
		Simulated:    cfg.Simulate,
		SlackToken:   sec.secret("SLACK_BOT_TOKEN", cfg.SlackBotToken).Current(),
		SlackAPIURL:  cfg.SlackAPIURL,
		AlertChannel: cfg.AlertChannel,
		HTTPClient:   hc,
	}
	if d, ok := led.(*ledger.DynamoDB); ok {
		c.Ledger, c.LedgerName = d, d.String()
	} else {
		c.LedgerLocal = led.String() + ": one process, nothing to reach"
	}
	if cfg.AccessKey != "" {
		c.DRCredentials = "HUAWEICLOUD_SDK_AK/SK"
	}
	for _, w := range cfg.Warnings() {
		c.Warnings = append(c.Warnings, w.Variable+": "+w.Message)
	}
	for _, s := range cfg.SecretSources() {
		c.Secrets = append(c.Secrets, check.SecretSource{Variable: s.Variable, From: s.From})
	}
	for _, s := range []config.Secret{cfg.SecretKey, cfg.SecurityToken, cfg.SlackSigningSecret, cfg.SlackBotToken,
		cfg.InvokeToken, cfg.AlertToken, cfg.GrafanaSecret,
		config.Secret(cfg.AWS.Credentials.SecretAccessKey), config.Secret(cfg.AWS.Credentials.SessionToken),
		config.Secret(os.Getenv("AWS_SECRET_ACCESS_KEY")), config.Secret(os.Getenv("AWS_SESSION_TOKEN"))} {
		if s != "" {
			c.Redact = append(c.Redact, s.Reveal())
		}
	}
	// The values in force after a rotation, and the ones they replaced, are secret too.
	for _, name := range config.SecretNames() {
		r := sec.secret(name, "")
		for _, v := range []string{r.Current(), r.Previous()} {
			if v != "" {
				c.Redact = append(c.Redact, v)
			}
		}
	}
	return c
}

// selfInvokingJobs carries the bot's deferred work to an asynchronous invocation of this function.
// Only the bot defers work, and it exists only with SLACK_SIGNING_SECRET, so that secret keys
// the envelopes: a job can come only from a function holding it. The ledger records each job
// id, so a job Lambda delivers twice runs once.
func selfInvokingJobs(cfg config.Config, led lambdaentry.JobLedger, sec *secretSet, log *slog.Logger) *lambdaentry.Jobs[bot.Job] {
	jobs := &lambdaentry.Jobs[bot.Job]{
		Ledger:  led,
		Logger:  log,
		Secret:  sec.secret("SLACK_SIGNING_SECRET", cfg.SlackSigningSecret),
		Invoker: lambdaentry.SelfInvoker{FunctionName: cfg.LambdaFunctionName},
	}
	// Lambda sets AWS_REGION and the execution role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
	// AWS_SESSION_TOKEN (AWS Lambda Developer Guide, "Defined runtime environment variables");
	// without them (a local run of
	// the runtime loop) the function still starts, and each deferral fails naming the variable.
	api, err := sec.aws()
	if err != nil {
		log.Warn("deferred work cannot reach the Lambda API", slog.String("error", err.Error()))
		jobs.Invoker.API = unreachable{err}
	} else {
		jobs.Invoker.API = api
	}
	return jobs
}

// newAWS builds the client of the AWS APIs the function calls (Lambda, Secrets Manager) from
// the environment as Lambda sets it, endpoint overrides (AWS_ENDPOINT_URL_<SERVICE>) included.
func newAWS() (*awsapi.Client, error) {
	ac, err := awsapi.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	return awsapi.New(ac)
}

// unreachable is the Lambda API when no client could be built: every call fails with why.
type unreachable struct{ err error }

func (u unreachable) InvokeEvent(context.Context, string, []byte) error { return u.err }

// newDR returns the DR API client: the real API, or with DR_SIMULATE a simulator served on a
// loopback port of this process (closed by the returned func) and polled more often.
func newDR(cfg config.Config, hc *http.Client, log *slog.Logger) (*drapi.Client, drapi.FollowOptions, func(), error) {
	dcfg := drConfig(cfg, hc)
	var follow drapi.FollowOptions
	closeSim := func() {}
	if cfg.Simulate {
		stopping := cfg.SimulateDelay
		if stopping == 0 {
			stopping = drsim.Immediate
		}
		sim, err := drsim.Start(drsim.Options{StoppingFor: stopping, StartingFor: stopping})
		if err != nil {
			return nil, follow, nil, fmt.Errorf("start simulator: %w", err)
		}
		if cfg.SimulateLatency > 0 {
			sim.Sim.Inject(drsim.Fault{Kind: drsim.FaultDelay, Delay: cfg.SimulateLatency})
		}
		closeSim = func() { sim.Close() }
		dcfg = sim.ClientConfig()
		dcfg.HTTPClient = hc
		follow = drapi.FollowOptions{MinInterval: 200 * time.Millisecond, MaxInterval: time.Second}
		log.Info("serving the DR API from the built-in simulator", slog.String("endpoint", sim.URL()),
			slog.String("project_id", dcfg.ProjectID), slog.String("seed_running_id", drsim.SeedRunning))
	}
	dr, err := drapi.New(dcfg)
	if err != nil {
		closeSim()
		return nil, follow, nil, fmt.Errorf("dr client: %w", err)
	}
	return dr, follow, closeSim, nil
}

// drConfig is the configuration of the real DR API's client.
func drConfig(cfg config.Config, hc *http.Client) drapi.Config {
	return drapi.Config{
		ProjectID: cfg.ProjectID,
		Region:    cfg.Region,
		Endpoint:  cfg.Endpoint,
		Credentials: drapi.Credentials{
			AccessKey:     cfg.AccessKey,
			SecretKey:     cfg.SecretKey.Reveal(),
			SecurityToken: cfg.SecurityToken.Reveal(),
		},
		HTTPClient: hc,
		UserAgent:  drapi.DefaultUserAgent,
	}
}

// addSlack builds the bot and the alert handlers, whose cards come back to the bot, and adds
// their routes to deps.
func addSlack(deps *server.Deps, cfg config.Config, dr bot.DR, follow drapi.FollowOptions,
	deferrer bot.Deferrer, led ledgerOf, hc *http.Client, sec *secretSet, log *slog.Logger) (*bot.Bot, error) {
	b, err := bot.New(bot.Config{
		SigningSecrets:  sec.secret("SLACK_SIGNING_SECRET", cfg.SlackSigningSecret),
		BotTokens:       sec.secret("SLACK_BOT_TOKEN", cfg.SlackBotToken),
		SlackAPIURL:     cfg.SlackAPIURL,
		AllowedUsers:    cfg.Users.Allows,
		AllowedChannels: cfg.Channels.Allows,
		AllowedIDs:      cfg.IDs.Allows,
		AllowedTeams:    cfg.Teams.Allows,
		Confirm:         cfg.Confirm,
		FourEyes:        cfg.FourEyes,
		Resume:          cfg.Resume,
		Simulated:       cfg.Simulate,
		Wait:            cfg.Wait,
		Follow:          follow,
		HTTPClient:      hc,
		Logger:          log,
		Deferrer:        deferrer,
		Ledger:          led,
		Platform:        platform,
	}, dr)
	if err != nil {
		return nil, err
	}
	smnMap, err := alerts.ParseSMNMap(cfg.SMNMap)
	if err != nil {
		return nil, fmt.Errorf("config: DR_SMN_MAP: %w", err)
	}
	var grafana rotating.Secret // nil: the route is off
	if cfg.GrafanaSecret != "" {
		grafana = sec.secret("DR_GRAFANA_SECRET", cfg.GrafanaSecret)
	}
	ah, err := alerts.New(alerts.Config{
		AlertBearer:    access.RotatingBearer(sec.secret("DR_ALERT_TOKEN", cfg.AlertToken)),
		GrafanaSecrets: grafana,
		SMNTopics:      cfg.SMNTopics,
		SMNMap:         smnMap,
		Channel:        cfg.AlertChannel,
		Auto:           cfg.AlertAuto,
		MaxIDs:         cfg.AlertMaxIDs,
		Window:         cfg.AlertWindow,
		Ledger:         led,
		AllowedIDs:     cfg.IDs.Allows,
		HTTPClient:     hc,
		Logger:         log,
	}, b)
	if err != nil {
		return nil, err
	}
	deps.Commands, deps.Interactions = b.Commands(), b.Interactions()
	deps.Alertmanager, deps.Grafana, deps.SMN = ah.Alertmanager(), ah.Grafana(), ah.SMN()
	return b, nil
}
