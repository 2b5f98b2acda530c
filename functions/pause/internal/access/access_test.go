package access_test

import (
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
		{name: "users", parse: access.SlackIDs, items: []string{"U1", "U2"},
			checks: []check{{"U1", true}, {"U2", true}, {"U3", false}, {"", false}, {"u1", false}}},
		{name: "every user", parse: access.SlackIDs, items: []string{"*"},
			checks: []check{{"U1", true}, {"anything", true}, {"", false}}},
		{name: "nobody", parse: access.SlackIDs, items: nil,
			checks: []check{{"U1", false}, {"*", false}}},
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
		{"mention", access.SlackIDs, []string{"U1", "<@U2>"}, "item 2 is not a Slack id"},
		{"channel name", access.SlackIDs, []string{"#ops"}, "item 1 is not a Slack id"},
		{"two in one item", access.SlackIDs, []string{"U1 U2"}, "item 1 is not a Slack id"},
		{"wildcard inside an id", access.SlackIDs, []string{"U*"}, "item 1 is not a Slack id"},
		{"empty item", access.SlackIDs, []string{""}, "item 1 is not a Slack id"},
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
