// Command pause is drpause's one binary: the Slack bot, the alert webhooks and the one-off pause
// of a GaussDB(DWS) disaster-recovery pair, served by the AWS Lambda runtime loop when it runs in
// Lambda and by a plain HTTP server everywhere else. Packaged, it is named bootstrap.
//
// main.go reads the configuration and picks the mode, wire.go builds the parts, serve.go runs
// the chosen mode.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/version"
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
	case len(args) > 1:
		return fmt.Errorf("unexpected arguments %q: the only flag is -version; configure with environment variables (see README)", args[1:])
	}
	sec := newSecretSet()
	cfg, err := config.LoadWith(sec.reader(ctx, os.Getenv))
	if err != nil {
		return err
	}
	level, _ := cfg.Level() // checked by Load
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: level}))
	sec.started(log)
	for _, w := range cfg.Warnings() {
		log.Warn("config: "+w.Variable+": "+w.Message, slog.String("variable", w.Variable))
	}
	hc, drHC := newHTTPClients()
	dr, follow, closeSim, err := newDR(cfg, drHC, log)
	if err != nil {
		return err
	}
	defer closeSim()

	p, err := wire(cfg, sec.dr(cfg, dr, drHC), follow, hc, sec, log)
	if err != nil {
		return err
	}
	if !cfg.Lambda() {
		return serveHTTP(ctx, cfg, log, p)
	}
	serveLambda(cfg, log, p)
	return nil // not reached: the runtime loop ends with the process
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
