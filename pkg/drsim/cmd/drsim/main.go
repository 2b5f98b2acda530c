// Command drsim serves the simulated DWS disaster-recovery API on a local port, for demos and
// for running the bot against something that answers like DWS:
//
//	go run ./pkg/drsim/cmd/drsim -addr 127.0.0.1:8900
//
// It prints the project id, the access key and the seeded DR ids to configure a client with.
// The secret key is the fixed local value drsim.SecretKey (see pkg/drsim/doc.go); it is not
// printed so that logs of a demo never teach anyone to paste keys around.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dws-dr/drpause/pkg/drsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "drsim:", err)
		os.Exit(1)
	}
}

// run serves the simulator until ctx is done. It prints the listening address, and what a
// client needs, before it serves, so callers that pass port 0 can learn the port from stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("drsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8900", "loopback `host:port` to listen on")
	stopping := fs.Duration("stopping", drsim.DefaultTransition, "how long a paused task stays stopping")
	starting := fs.Duration("starting", drsim.DefaultTransition, "how long a started task stays starting")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	if *stopping <= 0 || *starting <= 0 {
		return errors.New("-stopping and -starting must be positive")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()

	sim := drsim.New(drsim.Options{StoppingFor: *stopping, StartingFor: *starting})
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &http.Server{Handler: logRequests(logger, sim), ReadHeaderTimeout: 10 * time.Second}

	fmt.Fprintf(stdout, "drsim: DWS disaster-recovery API simulator on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "  DR_ENDPOINT=http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "  DR_PROJECT_ID=%s\n", sim.ProjectID())
	fmt.Fprintf(stdout, "  HUAWEICLOUD_SDK_AK=%s\n", drsim.AccessKey)
	fmt.Fprintln(stdout, "  HUAWEICLOUD_SDK_SK: the fixed local test value drsim.SecretKey in pkg/drsim/doc.go")
	fmt.Fprintln(stdout, "seeded disaster recoveries:")
	for _, id := range []string{drsim.SeedRunning, drsim.SeedStopped, drsim.SeedStopFailed, drsim.SeedUnstart} {
		st, _ := sim.Status(id)
		fmt.Fprintf(stdout, "  %s  %s\n", id, st)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// checkLoopback refuses to listen beyond this machine: the simulator accepts a published key.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-addr %q: want a loopback host such as 127.0.0.1; the simulator's key is public", addr)
}

// logRequests logs one line per request, after it is served.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		logger.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"request_id", w.Header().Get("X-Request-Id"),
			"duration_ms", time.Since(start).Milliseconds())
	})
}

// statusRecorder remembers the status written through it; Unwrap keeps Hijack reachable for
// the connection-reset faults.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
