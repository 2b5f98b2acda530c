//go:build unix

// Package benchkit holds what the request-path benchmarks of bot and bot/alerts share: a body
// that can be served again, and a loop that reports the process's CPU time per request.
package benchkit

import (
	"bytes"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// Body is a request body that can be served again and again: Reset it, then hand it over.
type Body struct{ bytes.Reader }

// Close does nothing, so a handler closing the body does not end the benchmark's reuse of it.
func (*Body) Close() error { return nil }

// ServeLoop calls serve once per b.Loop iteration with a ResponseWriter that keeps only the
// status, so the handler and not a recorder is measured. It fails on any status but 200, reports
// allocations and cpu-ns/op (the process's CPU time per request, GC included: on a shared
// machine it swings far less than wall time), and returns the number of iterations.
func ServeLoop(b *testing.B, serve func(w http.ResponseWriter)) int {
	b.Helper()
	w := &statusWriter{header: make(http.Header)}
	n := 0
	b.ReportAllocs()
	cpu := ProcessCPU(b)
	for b.Loop() {
		clear(w.header)
		w.code = 0
		serve(w)
		if w.code != http.StatusOK {
			b.Fatalf("got status %d; want 200", w.code)
		}
		n++
	}
	b.ReportMetric(float64(ProcessCPU(b)-cpu)/float64(n), "cpu-ns/op")
	return n
}

// ProcessCPU returns the user and system CPU time of the process so far.
func ProcessCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type statusWriter struct {
	header http.Header
	code   int
}

func (w *statusWriter) Header() http.Header { return w.header }

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
