// Command harness is `make bench`: it builds drpause's bootstrap and the reference programs of
// ../.. with the release flags, measures ack latency, throughput, CPU per request, cold start,
// connection reuse, size and memory of the whole process, each next to its reference measured in
// the same run, runs the Go micro-benchmarks, and writes the table (BENCHMARKS.md with -out).
//
// Everything runs on loopback: the load generator is this process, the DR API is drsim (inside
// the binary, or served here when its connections or CPU time must be told apart), and Slack's
// response_url is bot/slacktest, counting only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

// measurements, in the order of the table; "micro" is the Go benchmarks' table.
var measurements = []string{"ack", "load", "cold", "warm", "size", "micro"}

// runOrder puts the quick size check first and the micro-benchmarks, which compile test
// binaries, after the whole-process measurements they would disturb; warm runs beside them all.
var runOrder = []string{"size", "ack", "load", "cold", "micro"}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("harness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the report to this `file` (default: standard output)")
	only := fs.String("only", "", "comma-separated measurements to run, of "+strings.Join(measurements, ",")+" (default all)")
	runs := fs.Int("runs", 7, "cold starts per binary")
	pauses := fs.Int("pauses", 100, "sequential pauses of the warm path")
	benchtime := fs.String("benchtime", "300ms", "-benchtime of the Go micro-benchmarks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	selected := measurements
	if *only != "" {
		selected = strings.Split(*only, ",")
		for _, m := range selected {
			if !slices.Contains(measurements, m) {
				return fmt.Errorf("-only: unknown measurement %q: want some of %s", m, strings.Join(measurements, ","))
			}
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	began := time.Now()

	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "drpause-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log.Info("building the bootstrap and the reference programs", "dir", dir)
	bin, err := build(ctx, root, dir)
	if err != nil {
		return err
	}
	h := &harness{bin: bin, root: root, log: log}

	var (
		mu      sync.Mutex // the warm path records from its own goroutine
		results = make(map[string][]row)
		failed  = make(map[string]error)
		micro   []benchResult
	)
	record := func(name string, rows []row, err error) {
		mu.Lock()
		defer mu.Unlock()
		results[name] = rows
		if err != nil {
			failed[name] = err
			log.Error("measurement failed", "measurement", name, "error", err)
		}
	}
	// The warm path mostly waits on the client's poll interval (two small requests every 2 s),
	// so it runs beside the others instead of adding its minutes to the run.
	var wg sync.WaitGroup
	if slices.Contains(selected, "warm") {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, 6*time.Minute)
			defer cancel()
			rows, err := h.warmPath(ctx, *pauses)
			record("warm", rows, err)
		})
	}
	for _, m := range runOrder {
		if !slices.Contains(selected, m) {
			continue
		}
		mctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
		log.Info("measuring", "measurement", m)
		switch m {
		case "size":
			rows, err := h.sizes(mctx)
			record(m, rows, err)
		case "ack":
			fast, err := h.ack(mctx, 20*time.Millisecond, 300, 300, 4)
			if err == nil {
				var slow []row
				slow, err = h.ack(mctx, 5*time.Second, 16, 64, 8)
				fast = append(fast, slow...)
			}
			record(m, fast, err)
		case "load":
			rows, err := h.throughput(mctx, 32, 3, 500*time.Millisecond, 2*time.Second)
			record(m, rows, err)
		case "cold":
			rows, err := h.coldStart(mctx, *runs)
			record(m, rows, err)
		case "micro":
			var err error
			micro, err = runMicro(mctx, root, *benchtime)
			record(m, nil, err)
		}
		cancel()
	}
	wg.Wait()

	rep := report{
		Date:      began.UTC(),
		Elapsed:   time.Since(began),
		NProc:     runtime.NumCPU(),
		GoVersion: goVersion(ctx),
		Selected:  selected,
		Rows:      results,
		Failed:    failed,
		Micro:     micro,
		Benchtime: *benchtime,
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := rep.write(w); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if *out != "" {
		log.Info("report written", "file", *out, "elapsed", time.Since(began).Round(time.Second))
	}
	if len(failed) > 0 {
		return errors.New("some measurements failed: see the report")
	}
	return nil
}

// binaries are the programs built for this run: for the host to run, and linux/arm64 to weigh.
type binaries struct {
	pause, hello, bare, verify, rie string
	pauseARM, helloARM              string
}

const (
	pkgPause  = "github.com/dws-dr/drpause/functions/pause"
	pkgHello  = "github.com/dws-dr/drpause/functions/pause/internal/tools/bench/hello"
	pkgBare   = "github.com/dws-dr/drpause/functions/pause/internal/tools/bench/bareserver"
	pkgVerify = "github.com/dws-dr/drpause/functions/pause/internal/tools/bench/verifyserver"
	pkgRIE    = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
)

// build compiles everything with the Makefile's release flags, the references included, so
// size and start-up are compared like for like.
func build(ctx context.Context, root, dir string) (binaries, error) {
	goBuild := func(out string, env []string, pkgs ...string) error {
		args := append([]string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out + string(os.PathSeparator)}, pkgs...)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), append([]string{"CGO_ENABLED=0"}, env...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
		}
		return nil
	}
	arm := filepath.Join(dir, "linux-arm64")
	if err := goBuild(dir, nil, pkgPause, pkgHello, pkgBare, pkgVerify, pkgRIE); err != nil {
		return binaries{}, err
	}
	if err := goBuild(arm, []string{"GOOS=linux", "GOARCH=arm64"}, pkgPause, pkgHello); err != nil {
		return binaries{}, err
	}
	return binaries{
		pause:    filepath.Join(dir, "pause"),
		hello:    filepath.Join(dir, "hello"),
		bare:     filepath.Join(dir, "bareserver"),
		verify:   filepath.Join(dir, "verifyserver"),
		rie:      filepath.Join(dir, "aws-lambda-rie"),
		pauseARM: filepath.Join(arm, "pause"),
		helloARM: filepath.Join(arm, "hello"),
	}, nil
}

// moduleRoot is the directory of drpause's go.mod, whatever directory the harness runs in.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/dws-dr/drpause").Output()
	if err != nil {
		return "", fmt.Errorf("find the module: run inside the drpause repository: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func goVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}
