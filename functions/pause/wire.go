package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/functions/pause/internal/access"
	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/functions/pause/internal/lambdaentry"
	"github.com/dws-dr/drpause/functions/pause/internal/server"
	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// parts is what wire builds: the product as one http.Handler, and what the modes add around it.
type parts struct {
	handler http.Handler
	invoke  *invoke.Service            // direct Lambda invocations
	bot     *bot.Bot                   // nil without SLACK_SIGNING_SECRET
	jobs    *lambdaentry.Jobs[bot.Job] // the bot's deferred work in Lambda mode; nil otherwise
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
// pauses nothing and says so.
func newLedger(cfg config.Config, hc *http.Client) (ledgerOf, error) {
	if cfg.Ledger != config.LedgerDynamoDB {
		return ledger.NewMemory(), nil
	}
	aws := cfg.AWS
	aws.HTTPClient = hc
	c, err := awsapi.New(aws)
	if err != nil {
		return nil, fmt.Errorf("config: DR_LEDGER=dynamodb: %w", err)
	}
	return ledger.NewDynamoDB(c, cfg.LedgerTable), nil
}

// wire builds every route. The rules each route applies (the allow-lists Load parsed, a bearer
// check per token) and the ledger are built once here and handed to whoever applies them.
func wire(cfg config.Config, dr *drapi.Client, follow drapi.FollowOptions, hc *http.Client, log *slog.Logger) (parts, error) {
	led, err := newLedger(cfg, hc)
	if err != nil {
		return parts{}, err
	}
	log.Info("ledger", slog.String("ledger", led.String()))
	if cfg.Ledger == config.LedgerMemory && cfg.Lambda() {
		log.Warn("DR_LEDGER=memory in Lambda: each instance keeps its own ledger, so single-use cards and one pause per DR hold only within one instance; set DR_LEDGER=dynamodb")
	}
	p := parts{invoke: invoke.New(invoke.Config{Wait: cfg.Wait, AllowedIDs: cfg.IDs.Allows, Follow: follow, Ledger: led, Simulated: cfg.Simulate,
		Resume: cfg.Resume, Paused: bot.PauseRecorder(led, log)}, dr)}
	deps := server.Deps{Logger: log, Invoke: invoke.Handler(p.invoke, access.Bearer(cfg.InvokeToken.Reveal()), log)}
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
		p.jobs = selfInvokingJobs(cfg, led, log)
		deferrer = p.jobs
	}
	if p.bot, err = addSlack(&deps, cfg, dr, follow, deferrer, led, hc, log); err != nil {
		return parts{}, err
	}
	if p.jobs != nil {
		p.jobs.Run, p.jobs.Abandon = p.bot.Run, p.bot.Abandon
	}
	p.handler = server.NewServer(deps)
	return p, nil
}

// selfInvokingJobs carries the bot's deferred work to an asynchronous invocation of this function.
// Only the bot defers work, and it exists only with SLACK_SIGNING_SECRET, so that secret keys
// the envelopes: a job can come only from a function holding it. The ledger records each job
// id, so a job Lambda delivers twice runs once.
func selfInvokingJobs(cfg config.Config, led lambdaentry.JobLedger, log *slog.Logger) *lambdaentry.Jobs[bot.Job] {
	return &lambdaentry.Jobs[bot.Job]{
		Ledger: led,
		Logger: log,
		Key:    lambdaentry.NewJobKey(cfg.SlackSigningSecret.Reveal()),
		Invoker: lambdaentry.SelfInvoker{
			FunctionName: cfg.LambdaFunctionName,
			Region:       cfg.AWSRegion,
			Credentials: credentials.NewStaticCredentialsProvider(
				cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey.Reveal(), cfg.AWSSessionToken.Reveal()),
			Endpoint: cfg.LambdaEndpoint,
		},
	}
}

// newDR returns the DR API client: the real API, or with DR_SIMULATE a simulator served on a
// loopback port of this process (closed by the returned func) and polled more often.
func newDR(cfg config.Config, hc *http.Client, log *slog.Logger) (*drapi.Client, drapi.FollowOptions, func(), error) {
	dcfg := drapi.Config{
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

// addSlack builds the bot and the alert handlers, whose cards come back to the bot, and adds
// their routes to deps.
func addSlack(deps *server.Deps, cfg config.Config, dr *drapi.Client, follow drapi.FollowOptions,
	deferrer bot.Deferrer, led ledgerOf, hc *http.Client, log *slog.Logger) (*bot.Bot, error) {
	b, err := bot.New(bot.Config{
		SigningSecret:   cfg.SlackSigningSecret.Reveal(),
		BotToken:        cfg.SlackBotToken.Reveal(),
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
	}, dr)
	if err != nil {
		return nil, err
	}
	smnMap, err := alerts.ParseSMNMap(cfg.SMNMap)
	if err != nil {
		return nil, fmt.Errorf("config: DR_SMN_MAP: %w", err)
	}
	ah, err := alerts.New(alerts.Config{
		AlertBearer:   access.Bearer(cfg.AlertToken.Reveal()),
		GrafanaSecret: cfg.GrafanaSecret.Reveal(),
		SMNTopics:     cfg.SMNTopics,
		SMNMap:        smnMap,
		Channel:       cfg.AlertChannel,
		Auto:          cfg.AlertAuto,
		MaxIDs:        cfg.AlertMaxIDs,
		Window:        cfg.AlertWindow,
		Ledger:        led,
		AllowedIDs:    cfg.IDs.Allows,
		HTTPClient:    hc,
		Logger:        log,
	}, b)
	if err != nil {
		return nil, err
	}
	deps.Commands, deps.Interactions = b.Commands(), b.Interactions()
	deps.Alertmanager, deps.Grafana, deps.SMN = ah.Alertmanager(), ah.Grafana(), ah.SMN()
	return b, nil
}
