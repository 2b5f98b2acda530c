package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/lambdaentry"
	"github.com/dws-dr/drpause/functions/pause/internal/version"
)

// serveLambda runs the Lambda runtime loop, which ends with the process.
//
// It does not ask for SIGTERM (lambda.WithEnableSIGTERM): that registers an internal extension
// with the runtime API during init, about 2 ms of every cold start under the emulator, and there
// is nothing to drain at shutdown: deferred work runs in invocations of its own, never in
// goroutines left behind, since Lambda freezes the process between invocations.
func serveLambda(cfg config.Config, log *slog.Logger, p parts) {
	le := &lambdaentry.Handler{HTTP: p.handler, Invoke: p.invoke, Logger: log,
		Check: func(ctx context.Context) any { return p.check(ctx) }}
	if p.jobs != nil {
		le.Jobs = p.jobs
	}
	log.Info("starting", slog.String("mode", "lambda"), slog.String("function", cfg.LambdaFunctionName),
		slog.String("version", version.String()))
	lambda.StartHandlerFunc(le.Handle)
}

// serveHTTP serves the product until ctx ends, then stops taking requests and gives requests in
// flight and deferred work DR_SHUTDOWN_GRACE to finish; the bot tells Slack about work it had to
// cut short.
func serveHTTP(ctx context.Context, cfg config.Config, log *slog.Logger, p parts) error {
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           p.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// POST /invoke with wait=true follows a pause for up to DR_WAIT.
		WriteTimeout: cfg.Wait + time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", slog.String("mode", "http"), slog.String("addr", ln.Addr().String()),
		slog.String("version", version.String()))
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
	if p.bot != nil {
		if err := p.bot.Shutdown(sctx); err != nil {
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
