package logtest_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/dws-dr/drpause/pkg/logtest"
)

func TestBufferTakesConcurrentWritesAsLines(t *testing.T) {
	var b logtest.Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { log.Info("line", "n", i) })
	}
	wg.Wait()
	lines := b.Lines(t)
	if len(lines) != 20 {
		t.Fatalf("got %d lines; want 20:\n%s", len(lines), b.String())
	}
	for _, l := range lines {
		if l["msg"] != "line" {
			t.Errorf("line %v: want msg line", l)
		}
	}
}
