package access_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/functions/pause/internal/access"
)

const (
	idA = "e59d6b86-9072-46eb-a996-13f8b44994c1"
	idB = "3dc7b9ea-70b4-4c38-942d-e2636e6d844c"
)

func TestLists(t *testing.T) {
	type check struct {
		id   string
		want bool
	}
	tests := []struct {
		name   string
		parse  func([]string) (*access.List, error)
		items  []string
		checks []check
	}{
		{name: "users", parse: access.SlackUsers, items: []string{"U1", "U012AB3CD", "W0GRID"},
			checks: []check{{"U1", true}, {"U012AB3CD", true}, {"W0GRID", true}, {"U3", false}, {"", false}, {"u1", false}}},
		{name: "every user", parse: access.SlackUsers, items: []string{"*"},
			checks: []check{{"U1", true}, {"anything", true}, {"", false}}},
		{name: "nobody", parse: access.SlackUsers, items: nil,
			checks: []check{{"U1", false}, {"*", false}}},
		{name: "channels", parse: access.SlackChannels, items: []string{"C1", "G0PRIVATE", "D0DM"},
			checks: []check{{"C1", true}, {"G0PRIVATE", true}, {"D0DM", true}, {"C2", false}, {"c1", false}}},
		{name: "every channel", parse: access.SlackChannels, items: []string{"*"},
			checks: []check{{"C1", true}, {"", false}}},
		{name: "slack ids", parse: access.SlackIDs, items: []string{"T1", "E1"},
			checks: []check{{"T1", true}, {"E1", true}, {"T2", false}}},
		{name: "ids", parse: access.DRIDs, items: []string{idA},
			checks: []check{{idA, true}, {idB, false}, {strings.ToUpper(idA), false}, {"", false}}},
		{name: "every id", parse: access.DRIDs, items: []string{idA, "*"},
			checks: []check{{idA, true}, {idB, true}, {"", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := tt.parse(tt.items)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.items, err)
			}
			for _, c := range tt.checks {
				if got := l.Allows(c.id); got != c.want {
					t.Errorf("Allows(%q): got %t; want %t", c.id, got, c.want)
				}
			}
		})
	}
}

func TestNilListAllowsNobody(t *testing.T) {
	var l *access.List
	if l.Allows("U1") || (&access.List{}).Allows("U1") {
		t.Error("Allows on a nil or zero List: got true; want false")
	}
}

func TestListsRefuse(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]string) (*access.List, error)
		items []string
		want  string // in the error
	}{
		{"mention", access.SlackUsers, []string{"U1", "<@U2>"}, "item 2 is not a Slack user id"},
		{"user name", access.SlackUsers, []string{"alice"}, "item 1 is not a Slack user id"},
		{"user name in capitals", access.SlackUsers, []string{"ALICE"}, "item 1 is not a Slack user id"},
		{"lowercase user id", access.SlackUsers, []string{"u012ab3cd"}, "item 1 is not a Slack user id"},
		{"email", access.SlackUsers, []string{"alice@example.com"}, "item 1 is not a Slack user id"},
		{"channel id as user", access.SlackUsers, []string{"C012AB3CD"}, "item 1 is not a Slack user id"},
		{"prefix alone", access.SlackUsers, []string{"W"}, "item 1 is not a Slack user id"},
		{"channel name", access.SlackChannels, []string{"#ops"}, "item 1 is not a Slack channel id"},
		{"channel name without #", access.SlackChannels, []string{"C1", "dr-ops"}, "item 2 is not a Slack channel id"},
		{"channel link", access.SlackChannels, []string{"<#C012AB3CD|dr-ops>"}, "item 1 is not a Slack channel id"},
		{"user id as channel", access.SlackChannels, []string{"U012AB3CD"}, "item 1 is not a Slack channel id"},
		{"two in one item", access.SlackUsers, []string{"U1 U2"}, "item 1 is not a Slack user id"},
		{"wildcard inside an id", access.SlackUsers, []string{"U*"}, "item 1 is not a Slack user id"},
		{"empty item", access.SlackChannels, []string{""}, "item 1 is not a Slack channel id"},
		{"team mention", access.SlackIDs, []string{"T1", "<@T2>"}, "item 2 is not a Slack id"},
		{"name instead of id", access.DRIDs, []string{"prod"}, "item 1 is not an id"},
		{"uppercase id", access.DRIDs, []string{idA, strings.ToUpper(idB)}, "item 2 is not an id"},
		{"path", access.DRIDs, []string{"../../x"}, "item 1 is not an id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.parse(tt.items)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parse %q: got %v; want an error containing %q", tt.items, err, tt.want)
			}
			for _, item := range tt.items {
				if item != "" && strings.Contains(err.Error(), item) {
					t.Errorf("error %q: holds the item %q; want only its position", err, item)
				}
			}
		})
	}
}

func TestBearer(t *testing.T) {
	const token = "local-invoke-token"
	check := access.Bearer(token)
	tests := []struct {
		authorization string
		want          bool
	}{
		{"Bearer " + token, true},
		{"bearer " + token, true},
		{"BEARER " + token, true},
		{"Bearer  " + token + " ", true},
		{"", false},
		{"Bearer", false},
		{"Bearer ", false},
		{"Bearer " + token + "x", false},
		{"Bearer " + token[:len(token)-1], false},
		{"Bearer wrong", false},
		{"Basic " + token, false},
		{token, false},
	}
	for _, tt := range tests {
		if got := check(tt.authorization); got != tt.want {
			t.Errorf("check(%q): got %t; want %t", tt.authorization, got, tt.want)
		}
	}
	if access.Bearer("") != nil {
		t.Error("Bearer(\"\"): got a check; want nil, the disabled route")
	}
}

// rotatingToken is a bearer token whose Recheck finds next, once.
type rotatingToken struct {
	cur, next string
	rechecks  int
}

func (s *rotatingToken) Current() string  { return s.cur }
func (s *rotatingToken) Previous() string { return "" }
func (s *rotatingToken) Recheck(_ context.Context, failed string) bool {
	s.rechecks++
	if s.next == "" || failed != s.cur {
		return false
	}
	s.cur, s.next = s.next, ""
	return true
}

// TestRotatingBearer: a caller already using a rotated token is let in on its first try, after
// one re-read; the old token is refused from then on; a header that is no bearer token at all
// never causes a re-read.
func TestRotatingBearer(t *testing.T) {
	token := &rotatingToken{cur: "old-token", next: "new-token\n"}
	check := access.RotatingBearer(token)
	if check("Basic new-token") || check("") || token.rechecks != 0 {
		t.Fatalf("no bearer token: got accepted or %d re-reads; want refused without one", token.rechecks)
	}
	if !check("Bearer new-token") || token.rechecks != 1 {
		t.Errorf("rotated token: want accepted after 1 re-read (got %d)", token.rechecks)
	}
	if check("Bearer old-token") {
		t.Error("old token after the rotation: accepted; want refused")
	}
	if access.RotatingBearer(&rotatingToken{}) != nil {
		t.Error("RotatingBearer of a secret without a value: got a check; want nil, the disabled route")
	}
}
