package ledger_test

import (
	"testing"

	"github.com/dws-dr/drpause/pkg/ledger"
)

func TestOp(t *testing.T) {
	a, b := ledger.NewOp("pause", "alert:grafana"), ledger.NewOp("pause", "alert:grafana")
	if a.Token == "" || a.Token == b.Token {
		t.Errorf("tokens %q and %q; want two different, non-empty", a.Token, b.Token)
	}
	if got := ledger.ParseOp(a.String()); got != a {
		t.Errorf("ParseOp(%q): got %+v; want %+v", a.String(), got, a)
	}
	tests := []struct {
		holder string
		want   ledger.Op
	}{
		{"resume|U0123|T0K", ledger.Op{Name: "resume", By: "U0123", Token: "T0K"}},
		{"pause|a|b|T0K", ledger.Op{Name: "pause", By: "a|b", Token: "T0K"}},
		{"pause|U1", ledger.Op{Name: "pause", By: "U1"}},
		{"invoke-req-1", ledger.Op{By: "invoke-req-1"}},
	}
	for _, tt := range tests {
		if got := ledger.ParseOp(tt.holder); got != tt.want {
			t.Errorf("ParseOp(%q): got %+v; want %+v", tt.holder, got, tt.want)
		}
	}
	if got := ledger.OpKey("e59d6b86-9072-46eb-a996-13f8b44994c1"); got != "op#e59d6b86-9072-46eb-a996-13f8b44994c1" {
		t.Errorf("OpKey: got %q", got)
	}
}
