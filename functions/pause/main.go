// Command pause is drpause's one binary: the Slack bot, the alert webhooks and the one-off pause
// of a GaussDB(DWS) disaster-recovery pair, served by the AWS Lambda runtime loop when it runs in
// Lambda and by a plain HTTP server everywhere else. Packaged, it is named bootstrap.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/bot/alerts"
	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/functions/pause/internal/lambdaentry"
	"github.com/dws-dr/drpause/functions/pause/internal/server"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// maxIdleConnsPerHost is how many idle connections to one host (the DR API, Slack) the binary
// keeps for reuse: enough for the concurrent requests of a busy HTTP-mode instance.
const maxIdleConnsPerHost = 64

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "drpause:", err)
		os.Exit(1)
	}
}

// run reads the configuration, wires the parts and serves until ctx ends (HTTP mode) or until
// the process ends (Lambda mode). Configuration comes through envconfig, which reads the process
// environment itself, so run takes no getenv: tests run the binary with an environment instead.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("unexpected arguments %q: configure with environment variables (see README)", args[1:])
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	level, _ := cfg.Level() // checked by Load
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))

	// One client for every outbound call, so warm instances reuse connections. In HTTP mode
	// concurrent requests each hold a DR API connection; DefaultTransport keeps only two idle
	// per host and closes the rest, so under load nearly every request opened a new one.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
	hc := &http.Client{Timeout: 30 * time.Second, Transport: tr}
	// The DR API client shares the transport but never follows a redirect: Go would carry
	// X-Security-Token (a custom header) to wherever the redirect points. DWS never redirects.
	drHC := &http.Client{Timeout: hc.Timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	dr, follow, closeSim, err := newDR(cfg, drHC, log)
	if err != nil {
		return err
	}
	defer closeSim()

	jobKey := lambdaentry.NewJobKey(cfg.JobSecret().Reveal())
	var deferrer bot.Deferrer // nil: the bot runs deferred work in this process
	if cfg.Lambda() {
		deferrer = &lambdaentry.Deferrer[bot.Job]{
			FunctionName: cfg.LambdaFunctionName,
			Key:          jobKey,
			Region:       cfg.AWSRegion,
			Credentials: credentials.NewStaticCredentialsProvider(
				cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey.Reveal(), cfg.AWSSessionToken.Reveal()),
			Endpoint: cfg.LambdaEndpoint,
		}
	}

	svc := invoke.New(invoke.Config{Wait: cfg.Wait, AllowedIDs: cfg.AllowedIDs, Follow: follow, Simulated: cfg.Simulate}, dr)
	deps := server.Deps{Logger: log, Invoke: invoke.Handler(svc, cfg.InvokeToken.Reveal(), log)}
	var b *bot.Bot
	if cfg.SlackSigningSecret == "" {
		log.Warn("Slack and alert routes are off: SLACK_SIGNING_SECRET is not set")
	} else if b, err = addSlack(&deps, cfg, dr, follow, deferrer, hc, log); err != nil {
		return err
	}
	h := server.NewServer(deps)

	if !cfg.Lambda() {
		return serveHTTP(ctx, cfg, log, h, b)
	}
	le := &lambdaentry.Handler{HTTP: h, Invoke: svc, JobKey: jobKey, Logger: log}
	if b != nil {
		le.RunJob = func(ctx context.Context, raw json.RawMessage) error {
			var job bot.Job
			if err := json.Unmarshal(raw, &job); err != nil {
				return fmt.Errorf("decode job: %w", err)
			}
			return b.Run(ctx, job)
		}
	}
	log.Info("starting", slog.String("mode", "lambda"), slog.String("function", cfg.LambdaFunctionName))
	lambda.StartHandlerFunc(le.Handle, lambda.WithEnableSIGTERM(func() {
		log.Info("lambda runtime is shutting the instance down")
	}))
	return nil // not reached: the runtime loop ends with the process
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

// addSlack builds the bot and the alert handlers, whose cards come back to the bot, and adds
// their routes to deps.
func addSlack(deps *server.Deps, cfg config.Config, dr *drapi.Client, follow drapi.FollowOptions,
	deferrer bot.Deferrer, hc *http.Client, log *slog.Logger) (*bot.Bot, error) {
	b, err := bot.New(bot.Config{
		SigningSecret:   cfg.SlackSigningSecret.Reveal(),
		BotToken:        cfg.SlackBotToken.Reveal(),
		SlackAPIURL:     cfg.SlackAPIURL,
		AllowedUsers:    cfg.AllowedUsers,
		AllowedChannels: cfg.AllowedChannels,
		AllowedIDs:      cfg.AllowedIDs,
		Confirm:         cfg.Confirm,
		FourEyes:        cfg.FourEyes,
		Wait:            cfg.Wait,
		Follow:          follow,
		HTTPClient:      hc,
		Logger:          log,
		Deferrer:        deferrer,
		Simulated:       cfg.Simulate,
	}, dr)
	if err != nil {
		return nil, err
	}
	smnMap, err := alerts.ParseSMNMap(cfg.SMNMap)
	if err != nil {
		return nil, fmt.Errorf("config: DR_SMN_MAP: %w", err)
	}
	ah, err := alerts.New(alerts.Config{
		AlertToken:    cfg.AlertToken.Reveal(),
		GrafanaSecret: cfg.GrafanaSecret.Reveal(),
		SMNTopics:     cfg.SMNTopics,
		SMNMap:        smnMap,
		Channel:       cfg.AlertChannel,
		Auto:          cfg.AlertAuto,
		MaxIDs:        cfg.AlertMaxIDs,
		AllowedIDs:    cfg.AllowedIDs,
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

// serveHTTP serves h until ctx ends, then stops taking requests and gives requests in flight and
// deferred work DR_SHUTDOWN_GRACE to finish; the bot tells Slack about work it had to cut short.
func serveHTTP(ctx context.Context, cfg config.Config, log *slog.Logger, h http.Handler, b *bot.Bot) error {
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// POST /invoke with wait=true follows a pause for up to DR_WAIT.
		WriteTimeout: cfg.Wait + time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", slog.String("mode", "http"), slog.String("addr", ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down", slog.String("grace", cfg.ShutdownGrace.String()))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("stop http server: %w", err))
	}
	if b != nil {
		if err := b.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("drain deferred work: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		log.Warn("shutdown cut work short", slog.String("error", err.Error()))
		return nil
	}
	log.Info("stopped")
	return nil
}
