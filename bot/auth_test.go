package bot

import (
	"slices"
	"testing"
)

// allowAll and allowOnly stand in for the allow-lists the caller parses.
func allowAll(string) bool { return true }

func allowOnly(ids ...string) Allow { return func(id string) bool { return slices.Contains(ids, id) } }

// TestAllowDeniesByDefault: a list the caller left out allows nobody, and no list allows a
// request that names no one.
func TestAllowDeniesByDefault(t *testing.T) {
	tests := []struct {
		name  string
		allow Allow
		id    string
		want  bool
	}{
		{"nil allows nobody", nil, "U1", false},
		{"empty id never allowed", allowAll, "", false},
		{"listed", allowOnly("U1"), "U1", true},
		{"not listed", allowOnly("U1"), "U2", false},
	}
	for _, tt := range tests {
		if got := tt.allow.allows(tt.id); got != tt.want {
			t.Errorf("%s: allows(%q): got %t; want %t", tt.name, tt.id, got, tt.want)
		}
	}
}
