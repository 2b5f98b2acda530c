package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// microPackages hold the Go micro-benchmarks: verify-parse-answer of a slash command and a
// click, the AK/SK signer (pkg/aksk), Lambda event decoding, the alert decoders, and the
// ledger's cost per click (pkg/ledger: one conditional write, in memory and as a signed
// PutItem to dynalite, which `make bench` installs).
var microPackages = []string{"./pkg/aksk", "./bot", "./bot/alerts", "./functions/pause/internal/lambdaentry", "./pkg/ledger"}

// benchResult is one line of `go test -bench` output.
type benchResult struct {
	Package, Name string
	NsPerOp       float64
	// Empty when not reported. cpu-ns/op is the CPU time of the process per operation, which
	// the bot's benchmarks report because it varies less than ns/op on a shared machine.
	CPUNsPerOp, BytesPerOp, Allocs string
}

// runMicro runs the micro-benchmarks once each and returns what they reported. A package that
// fails to build or run fails the measurement, but the others' results are kept.
func runMicro(ctx context.Context, root, benchtime string) ([]benchResult, error) {
	args := append([]string{"test", "-run=^$", "-bench=.", "-benchmem", "-count=1", "-benchtime=" + benchtime}, microPackages...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	results := parseBench(out)
	if err != nil {
		return results, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("go %s: no benchmark results\n%s", strings.Join(args, " "), out)
	}
	return results, nil
}

// parseBench reads the benchmark lines of `go test -bench` output, each under its "pkg:" line.
func parseBench(out []byte) []benchResult {
	var (
		results []benchResult
		pkg     string
	)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		r := benchResult{Package: pkg, Name: f[0]}
		ok := false
		// After the name and the iteration count come value-unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			switch f[i+1] {
			case "ns/op":
				v, err := strconv.ParseFloat(f[i], 64)
				r.NsPerOp, ok = v, err == nil
			case "cpu-ns/op":
				r.CPUNsPerOp = f[i]
			case "B/op":
				r.BytesPerOp = f[i]
			case "allocs/op":
				r.Allocs = f[i]
			}
		}
		if ok {
			results = append(results, r)
		}
	}
	return results
}
