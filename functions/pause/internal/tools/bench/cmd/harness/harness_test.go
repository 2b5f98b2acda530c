package main

import (
	"os"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var d []time.Duration
		for _, n := range ns {
			d = append(d, time.Duration(n)*time.Millisecond)
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // reversed: summarize must sort
	}
	tests := []struct {
		name string
		in   []time.Duration
		want percentiles
	}{
		{"empty", nil, percentiles{}},
		{"one", ms(7), percentiles{N: 1, P50: 7 * time.Millisecond, P99: 7 * time.Millisecond, Max: 7 * time.Millisecond}},
		{"hundred", ms(hundred...), percentiles{N: 100, P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}},
		{"outlier", ms(1, 1, 1, 900), percentiles{N: 4, P50: time.Millisecond, P99: 900 * time.Millisecond, Max: 900 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in); got != tt.want {
				t.Errorf("summarize: got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
pkg: github.com/dws-dr/drpause/bot
BenchmarkCommands/help-2     	   14149	     14789 ns/op	     16042 cpu-ns/op	    3513 B/op	      40 allocs/op
BenchmarkNoMem-2	1000	12.5 ns/op
--- FAIL: BenchmarkBroken
pkg: github.com/dws-dr/drpause/pkg/drapi
BenchmarkSign-2     	   26029	      9047 ns/op	    3408 B/op	      50 allocs/op
ok  	github.com/dws-dr/drpause/pkg/drapi	0.502s
`)
	want := []benchResult{
		{Package: "github.com/dws-dr/drpause/bot", Name: "BenchmarkCommands/help-2", NsPerOp: 14789, CPUNsPerOp: "16042", BytesPerOp: "3513", Allocs: "40"},
		{Package: "github.com/dws-dr/drpause/bot", Name: "BenchmarkNoMem-2", NsPerOp: 12.5},
		{Package: "github.com/dws-dr/drpause/pkg/drapi", Name: "BenchmarkSign-2", NsPerOp: 9047, BytesPerOp: "3408", Allocs: "50"},
	}
	got := parseBench(out)
	if len(got) != len(want) {
		t.Fatalf("parseBench: got %d results %+v; want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
}

func TestInitLine(t *testing.T) {
	tests := []struct {
		line, pkg, clock string
	}{
		{"init github.com/aws/aws-sdk-go-v2/service/lambda/schemas @4.7 ms, 3.3 ms clock, 673680 bytes, 4004 allocs",
			"github.com/aws/aws-sdk-go-v2/service/lambda/schemas", "3.3"},
		{"init os @1.7 ms, 0.001 ms clock, 416 bytes, 9 allocs", "os", "0.001"},
		{"drpause: config: DR_PROJECT_ID: required unless DR_SIMULATE=true", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			m := initLine.FindStringSubmatch(tt.line)
			var pkg, clock string
			if m != nil {
				pkg, clock = m[1], m[2]
			}
			if pkg != tt.pkg || clock != tt.clock {
				t.Errorf("got package %q clock %q; want %q %q", pkg, clock, tt.pkg, tt.clock)
			}
		})
	}
}

// TestProc reads this test process's own CPU time and peak RSS: both must be positive and the
// CPU time must grow with work.
func TestProc(t *testing.T) {
	pid := os.Getpid()
	before, err := cpuTime(pid)
	if err != nil {
		t.Fatalf("cpuTime: %v", err)
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		now, err := cpuTime(pid)
		if err != nil {
			t.Fatalf("cpuTime: %v", err)
		}
		if now > before {
			break
		}
		spin := 0
		for i := range 1_000_000 {
			spin += i
		}
		_ = spin
	}
	after, _ := cpuTime(pid)
	if after <= before {
		t.Errorf("cpuTime after 2 s of work: got %s; want more than %s", after, before)
	}
	rss, err := peakRSS(pid)
	if err != nil || rss <= 0 {
		t.Errorf("peakRSS: got %d (%v); want a positive size", rss, err)
	}
}
