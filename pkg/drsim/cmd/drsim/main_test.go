package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
	"github.com/dws-dr/drpause/pkg/logtest"
)

func TestRunServesSeededTasks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr logtest.Buffer
	done := make(chan error, 1)
	// A start lasts longer than the test, so the task started below is seen starting.
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-starting", "1h"}, &stdout, &stderr) }()

	endpoint := regexp.MustCompile(`DR_ENDPOINT=(\S+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == ""; {
		if m := endpoint.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v (stderr %s)", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no endpoint printed; stdout %q", stdout.String())
		}
	}

	out := stdout.String()
	for _, want := range []string{drsim.ProjectID, drsim.AccessKey, drsim.SeedRunning, drsim.SeedStopped, drsim.SeedStopFailed, drsim.SeedUnstart} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not name %s:\n%s", want, out)
		}
	}
	if strings.Contains(out+stderr.String(), drsim.SecretKey) {
		t.Errorf("output prints the secret key:\n%s", out)
	}

	r, err := http.NewRequest(http.MethodGet, base+"/v2/"+drsim.ProjectID+"/disaster-recovery/"+drsim.SeedRunning, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Project-Id", drsim.ProjectID)
	aksk.Sign(r, nil, drsim.LocalCredentials(), time.Now())
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET detail: got HTTP %d; want 200", resp.StatusCode)
	}

	// The served simulator resumes too, through the real client.
	c, err := drapi.New(drapi.Config{ProjectID: drsim.ProjectID, Endpoint: base, Credentials: drsim.LocalCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := c.Start(ctx, drsim.SeedStopped); err != nil || id != drsim.SeedStopped {
		t.Errorf("Start: got %q, %v; want %s, nil", id, err, drsim.SeedStopped)
	}
	if d, err := c.Get(ctx, drsim.SeedStopped); err != nil || d.Status != drapi.StatusStarting {
		t.Errorf("after Start: got %+v, %v; want starting", d, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: got %v; want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(stderr.String(), "request_id=") {
		t.Errorf("stderr logs no request: %s", stderr.String())
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"all interfaces", []string{"-addr", "0.0.0.0:8900"}, "loopback"},
		{"public host", []string{"-addr", "example.com:8900"}, "loopback"},
		{"no port", []string{"-addr", "127.0.0.1"}, "-addr"},
		{"zero delay", []string{"-addr", "127.0.0.1:0", "-stopping", "0s"}, "positive"},
		{"zero start delay", []string{"-addr", "127.0.0.1:0", "-starting", "0s"}, "positive"},
		{"unknown flag", []string{"-nope"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr logtest.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}
