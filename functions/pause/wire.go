package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

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
	"github.com/dws-dr/drpause/pkg/rotating"
)

// parts is what wire builds: the product as one http.Handler, and what the modes add around it.
type parts struct {
	handler http.Handler
	invoke  *invoke.Service            // direct Lambda invocations
	bot     *bot.Bot                   // nil without SLACK_SIGNING_SECRET
	jobs    *lambdaentry.Jobs[bot.Job] // the bot's deferred work in Lambda mode; nil otherwise
}

// wire builds every route. The rules each route applies (the allow-lists Load parsed, a bearer
// check per token) are built once here and handed to whoever applies them.
func wire(cfg config.Config, dr bot.DR, follow drapi.FollowOptions, hc *http.Client, sec *secretSet, log *slog.Logger) (parts, error) {
	p := parts{invoke: invoke.New(invoke.Config{Wait: cfg.Wait, AllowedIDs: cfg.IDs.Allows, Follow: follow, Simulated: cfg.Simulate}, dr)}
	invokeBearer := access.RotatingBearer(sec.secret("DR_INVOKE_TOKEN", cfg.InvokeToken))
	deps := server.Deps{Logger: log, Invoke: invoke.Handler(p.invoke, invokeBearer, log)}
	if cfg.SlackSigningSecret == "" {
		log.Warn("Slack and alert routes are off: SLACK_SIGNING_SECRET is not set")
		p.handler = server.NewServer(deps)
		return p, nil
	}
	var deferrer bot.Deferrer // nil: the bot runs deferred work in this process
	if cfg.Lambda() {
		p.jobs = selfInvokingJobs(cfg, sec, log)
		deferrer = p.jobs
	}
	var err error
	if p.bot, err = addSlack(&deps, cfg, dr, follow, deferrer, hc, sec, log); err != nil {
		return parts{}, err
	}
	if p.jobs != nil {
		p.jobs.Run = p.bot.Run
	}
	p.handler = server.NewServer(deps)
	return p, nil
}

// selfInvokingJobs carries the bot's deferred work to an asynchronous invocation of this function.
// Only the bot defers work, and it exists only with SLACK_SIGNING_SECRET, so that secret keys
// the envelopes: a job can come only from a function holding it.
func selfInvokingJobs(cfg config.Config, sec *secretSet, log *slog.Logger) *lambdaentry.Jobs[bot.Job] {
	jobs := &lambdaentry.Jobs[bot.Job]{
		Secret:  sec.secret("SLACK_SIGNING_SECRET", cfg.SlackSigningSecret),
		Invoker: lambdaentry.SelfInvoker{FunctionName: cfg.LambdaFunctionName},
	}
	// Lambda always sets the region and the execution role's keys; without them (a local run of
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
		sim, err := drsim.Start(drsim.Options{StoppingFor: stopping})
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
	deferrer bot.Deferrer, hc *http.Client, sec *secretSet, log *slog.Logger) (*bot.Bot, error) {
	b, err := bot.New(bot.Config{
		SigningSecrets:  sec.secret("SLACK_SIGNING_SECRET", cfg.SlackSigningSecret),
		BotTokens:       sec.secret("SLACK_BOT_TOKEN", cfg.SlackBotToken),
		SlackAPIURL:     cfg.SlackAPIURL,
		AllowedUsers:    cfg.Users.Allows,
		AllowedChannels: cfg.Channels.Allows,
		AllowedIDs:      cfg.IDs.Allows,
		Confirm:         cfg.Confirm,
		FourEyes:        cfg.FourEyes,
		Simulated:       cfg.Simulate,
		Wait:            cfg.Wait,
		Follow:          follow,
		HTTPClient:      hc,
		Logger:          log,
		Deferrer:        deferrer,
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
