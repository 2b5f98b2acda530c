// Command pause is drpause's one binary: the Slack bot, the alert webhooks and the one-off pause
// of a GaussDB(DWS) disaster-recovery pair, served by the AWS Lambda runtime loop when it runs in
// Lambda and by a plain HTTP server everywhere else. Packaged, it is named bootstrap.
//
// main.go reads the configuration and picks the mode, wire.go builds the parts, serve.go runs
// the chosen mode.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/functions/pause/internal/check"
	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/version"
	"github.com/dws-dr/drpause/pkg/drapi"
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
	switch {
	case len(args) == 2 && (args[1] == "-version" || args[1] == "--version"):
		_, err := fmt.Fprintln(stdout, version.String())
		return err
	case len(args) == 2 && (args[1] == "-check" || args[1] == "--check"):
		return runCheck(ctx, stdout)
	case len(args) > 1:
		return fmt.Errorf("unexpected arguments %q: the flags are -version and -check; configure with environment variables (see README)", args[1:])
	}
	b, err := load(ctx, func(cfg config.Config, sec *secretSet) *slog.Logger {
		level, _ := cfg.Level() // checked by Load
		log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))
		sec.started(log)
		for _, w := range cfg.Warnings() {
			log.Warn("config: "+w.Variable+": "+w.Message, slog.String("variable", w.Variable))
		}
		return log
	})
	if err != nil {
		return err
	}
	defer b.close()
	cfg, sec, hc, routesDR, log := b.cfg, b.sec, b.hc, b.dr, b.log
	p, err := wire(cfg, routesDR, b.follow, hc, sec, log)
	if err != nil {
		return err
	}
	p.check = func(ctx context.Context) check.Report {
		return check.Run(ctx, checkConfig(cfg, routesDR, p.ledger, hc, sec))
	}
	if !cfg.Lambda() {
		return serveHTTP(ctx, cfg, log, p)
	}
	serveLambda(cfg, log, p)
	return nil // not reached: the runtime loop ends with the process
}

// runCheck runs the self-check in this process's environment, as the deployment would run,
// and prints the report as JSON on stdout; it fails when a check did. A configuration that
// does not load is a failed check too, so the report is always printed.
func runCheck(ctx context.Context, stdout io.Writer) error {
	rep := checkReport(ctx)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	var failed []string
	for _, c := range rep.Checks {
		if !c.OK {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("check: %d of %d checks failed: %s", len(failed), len(rep.Checks), strings.Join(failed, ", "))
	}
	return nil
}

// checkReport loads the configuration and builds what the check needs, quietly: stdout holds
// the report alone.
func checkReport(ctx context.Context) check.Report {
	b, err := load(ctx, func(config.Config, *secretSet) *slog.Logger { return slog.New(slog.DiscardHandler) })
	if err != nil {
		return check.ConfigFailed(version.String(), err)
	}
	defer b.close()
	led, err := newLedger(b.cfg, b.sec)
	if err != nil {
		return check.ConfigFailed(version.String(), err)
	}
	return check.Run(ctx, checkConfig(b.cfg, b.dr, led, b.hc, b.sec))
}

// started is what serving and the self-check both build first: the configuration with the
// secrets it was read from, the logger, the HTTP clients and the DR API client of the routes.
type started struct {
	cfg    config.Config
	sec    *secretSet
	log    *slog.Logger
	hc     *http.Client
	dr     bot.DR
	follow drapi.FollowOptions
	close  func() // stops the built-in simulator, if any
}

// load reads the configuration (with DR_SECRETS_ARN's secret, when set) and builds the parts
// every mode needs; logTo makes the logger once the configuration says how.
func load(ctx context.Context, logTo func(config.Config, *secretSet) *slog.Logger) (started, error) {
	sec := newSecretSet()
	cfg, err := config.LoadWith(sec.reader(ctx, os.Getenv))
	if err != nil {
		return started{}, err
	}
	log := logTo(cfg, sec)
	hc, drHC := newHTTPClients()
	dr, follow, closeSim, err := newDR(cfg, drHC, log)
	if err != nil {
		return started{}, err
	}
	return started{cfg: cfg, sec: sec, log: log, hc: hc, dr: sec.dr(cfg, dr), follow: follow, close: closeSim}, nil
}

// newHTTPClients returns one client for every outbound call, so warm instances reuse
// connections, and a copy for the DR API that never follows a redirect: Go would carry
// X-Security-Token (a custom header) to wherever the redirect points. DWS never redirects.
func newHTTPClients() (hc, drHC *http.Client) {
	// In HTTP mode concurrent requests each hold a DR API connection; DefaultTransport keeps
	// only two idle per host and closes the rest, so under load nearly every request opened a
	// new one.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
	hc = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	drHC = &http.Client{Timeout: hc.Timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return hc, drHC
}
