// Package logtest captures what a program under test logs, safely while it still writes: the
// one log buffer of the tests, the demo's and the tools'. It is tooling: the binary never
// imports it.
package logtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent use: writers such as slog handlers and a
// process's output may write while a test reads.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TB is the part of testing.TB Lines needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Lines decodes the JSON log lines written so far (slog's JSON handler writes one a line),
// failing t on a line that is not JSON.
func (b *Buffer) Lines(t TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}
