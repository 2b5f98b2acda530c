package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStartWarnings: settings that start but may not do what was meant are logged at start, one
// warning each, naming the variable and not the value.
func TestStartWarnings(t *testing.T) {
	slack := newSlack(t)
	const region = "xx-newplace-7"
	s := startHTTP(t, append(baseEnv(slack), "DR_REGION="+region, "DR_ALLOWED_USERS=*"))

	warned := map[string]string{}
	for _, line := range strings.Split(s.out.String(), "\n") {
		var l struct{ Level, Msg, Variable string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Level == "WARN" && l.Variable != "" {
			warned[l.Variable] = l.Msg
		}
	}
	for _, v := range []string{"DR_REGION", "DR_ALLOWED_USERS"} {
		if msg, ok := warned[v]; !ok || !strings.Contains(msg, v) {
			t.Errorf("start-up warnings: got %v; want one naming %s", warned, v)
		}
	}
	if strings.Contains(s.out.String(), region) {
		t.Errorf("output: got %s; want the region not quoted", s.out)
	}
}
