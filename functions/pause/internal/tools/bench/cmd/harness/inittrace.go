package main

import (
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// initLine is one line of GODEBUG=inittrace=1: "init <package> @<t> ms, <d> ms clock, ...".
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock`)

// pkgInit is the clock time one package's initializers took.
type pkgInit struct {
	pkg string
	d   time.Duration
}

// initTrace runs path without configuration, so it stops right after start-up, and returns the
// time its package initializers took, the smallest of runs tries (the least disturbed by the
// machine's other work), with that run's packages, slowest first.
func initTrace(ctx context.Context, path string, runs int) (time.Duration, []pkgInit, error) {
	var (
		best     time.Duration = -1
		bestPkgs []pkgInit
	)
	for range runs {
		cmd := exec.CommandContext(ctx, path)
		cmd.Env = []string{"GODEBUG=inittrace=1"}
		out, _ := cmd.CombinedOutput() // it fails for want of configuration, as intended
		var (
			total time.Duration
			pkgs  []pkgInit
		)
		for line := range strings.Lines(string(out)) {
			m := initLine.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				return 0, nil, fmt.Errorf("inittrace %q: %w", line, err)
			}
			d := time.Duration(v * float64(time.Millisecond))
			total += d
			pkgs = append(pkgs, pkgInit{m[1], d})
		}
		if len(pkgs) == 0 {
			return 0, nil, fmt.Errorf("%s printed no inittrace lines:\n%s", path, out)
		}
		if best < 0 || total < best {
			best, bestPkgs = total, pkgs
		}
	}
	slices.SortStableFunc(bestPkgs, func(a, b pkgInit) int { return cmp.Compare(b.d, a.d) })
	return best, bestPkgs, nil
}

// slowest names the n slowest packages.
func slowest(pkgs []pkgInit, n int) string {
	var s []string
	for _, p := range pkgs[:min(n, len(pkgs))] {
		s = append(s, fmt.Sprintf("%s %s", p.pkg, ms(p.d)))
	}
	return strings.Join(s, ", ")
}
