package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// report is what BENCHMARKS.md says.
type report struct {
	Date      time.Time
	Elapsed   time.Duration
	NProc     int
	GoVersion string
	Selected  []string
	Rows      map[string][]row
	Failed    map[string]error
	Micro     []benchResult
	Benchtime string
}

func (r *report) write(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Benchmarks\n\n")
	p("Written by `make bench` (`go run ./functions/pause/internal/tools/bench/cmd/harness -out BENCHMARKS.md`); do not edit by hand.\n\n")
	p("- Date: %s (the run took %s)\n", r.Date.Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	p("- `nproc`: %d\n", r.NProc)
	p("- Go: %s\n", r.GoVersion)
	p("- Binaries: built for this run with the Makefile's release flags, `CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags=\"-s -w\"`; the references too.\n")
	p("- Everything runs on 127.0.0.1 on this machine's %d cores, shared by the server under test, the harness's load generator (Go `net/http` client, keep-alive, one connection per client) and, where named, the DR API simulator served by the harness. Each number sits next to its reference, measured by the same run seconds apart on the same machine: compare ratios, not absolute numbers, across runs and machines.\n\n", r.NProc)

	var rows []row
	for _, m := range measurements {
		rows = append(rows, r.Rows[m]...)
	}
	if len(rows) > 0 {
		p("## Whole process\n\n")
		p("| measure | value | reference (same run) | ratio / limit | verdict | reproduce |\n")
		p("|---|---|---|---|---|---|\n")
		for _, x := range rows {
			p("| %s | %s | %s | %s | %s | %s |\n", cell(x.Measure), cell(x.Value), cell(x.Reference), cell(x.Ratio), x.Verdict, x.Repro)
		}
		p("\n")
	}
	if len(r.Micro) > 0 {
		p("## Go micro-benchmarks\n\n")
		p("`go test -run='^$' -bench=. -benchmem -count=1 -benchtime=%s %s` (`-only micro`); one run each, so read them as magnitudes.\n\n",
			r.Benchtime, strings.Join(microPackages, " "))
		p("| package | benchmark | ns/op | cpu-ns/op | B/op | allocs/op |\n|---|---|---:|---:|---:|---:|\n")
		for _, m := range r.Micro {
			p("| %s | %s | %.0f | %s | %s | %s |\n", strings.TrimPrefix(m.Package, "github.com/dws-dr/drpause/"), m.Name, m.NsPerOp,
				or(m.CPUNsPerOp), or(m.BytesPerOp), or(m.Allocs))
		}
		p("\n")
	}

	p("## Notes\n\n")
	var missed []row
	for _, x := range rows {
		if x.Verdict == "MISS" {
			missed = append(missed, x)
		}
	}
	if len(missed) == 0 && len(r.Failed) == 0 {
		p("- Every target with a verdict was met in this run.\n")
	}
	for _, x := range missed {
		p("- MISS: %s: %s (%s). Why: %s\n", x.Measure, x.Value, x.Ratio, x.Why)
	}
	names := make([]string, 0, len(r.Failed))
	for n := range r.Failed {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p("- FAILED to measure `%s`: %s\n", n, cell(firstLine(r.Failed[n].Error())))
	}
	for _, m := range measurements {
		if note, ok := methodNotes[m]; ok && slices.Contains(r.Selected, m) {
			p("- %s\n", note)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell keeps a value from breaking the Markdown table.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func or(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// methodNotes say how each measurement is taken, for the notes under the table.
var methodNotes = map[string]string{
	"ack": "Ack latency: each request's time from send to the end of its answer, at the load generator, after a warm-up of one request per client. " +
		"Slash commands run `/dr pause <id>` on a running DR, so the answer is the confirmation card after a DR lookup; " +
		"clicks press Pause on a new random DR id each, so each takes the approving path (acknowledge through response_url, defer the pause). " +
		"The simulator runs inside the binary (`DR_SIMULATE=true`) and delays every answer by `DR_SIMULATE_LATENCY`; the lookup budget is 1.5 s. " +
		"The reference is the verify+parse server under the same requests.",
	"load": "Throughput and CPU: the three servers run side by side and take turns under 32 clients sending the same signed slash command, " +
		"3 rounds in a rotating order, each turn 0.5 s of warm-up then a 2 s window; each figure is the median of its rounds. " +
		"CPU time is utime+stime of the server process (all threads, GC included) from /proc/<pid>/stat over the window, divided by the answers in it. " +
		"The binary logs one audit line per command (LOG_LEVEL=info), as deployed, and reaches the DR API (drsim served by the harness) at 127.0.0.1. " +
		"The load generator and the simulator share the same 2 cores with the server, so absolute rates are lower than on a dedicated machine; " +
		"the ratios are what the targets judge.",
	"cold": "Cold start: a fresh emulator per run (aws-lambda-rie, pinned in go.mod), bootstrap and hello world alternating, the bootstrap configured for a real " +
		"deployment (DR API at an endpoint, not the built-in simulator; every secret in DR_SECRETS_ARN, read at start from a local fake Secrets Manager whose current version is a day old). Init Duration is the emulator's INIT REPORT, from the runtime's start to its first /next; " +
		"the first invocation's time is measured by the harness from sending the event to its answer, init included. " +
		"Under the emulator the process starts on the first invocation, as in Lambda. " +
		"The bootstrap also runs configured as the SAM template deploys it, `DR_LEDGER=dynamodb` with a table in dynalite (started by the harness); " +
		"a click then adds one or two conditional writes to the table, whose cost is BenchmarkClaim in the micro-benchmarks (dynalite on loopback: " +
		"the floor of a real table, which adds DynamoDB's own single-digit milliseconds in-region).",
	"warm": "Warm path: one instance pauses the same DR (reset to running by the harness between pauses) one pause at a time; " +
		"the simulator served by the harness counts the TCP connections it accepts. A pause without wait answers at the client's first status poll, " +
		"2 s after the pause; that wait, not work, is why this measurement takes minutes, and it runs beside the others.",
	"size": "Size: the release build for linux/arm64 (the SAM template's architecture) of the bootstrap and of the hello world, both stripped.",
}
