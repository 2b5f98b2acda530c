package rotating_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/pkg/rotating"
)

// fake is a Secret whose Recheck moves it to next, once.
type fake struct {
	cur, prev, next string
	rechecks        int
}

func (f *fake) Current() string  { return f.cur }
func (f *fake) Previous() string { return f.prev }
func (f *fake) Recheck(_ context.Context, failed string) bool {
	f.rechecks++
	if f.next == "" || failed != f.cur {
		return false
	}
	f.prev, f.cur, f.next = f.cur, f.next, ""
	return true
}

var _ rotating.Secret = (*fake)(nil)

// accepts records the values ok was called with and accepts want.
type accepts struct {
	want  string
	tried []string
}

func (a *accepts) ok(v string) bool {
	a.tried = append(a.tried, v)
	return v == a.want
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name         string
		secret       fake
		want         string // the value the request was made with
		ok           bool
		tried        []string
		wantRechecks int
	}{
		{name: "current", secret: fake{cur: "a"}, want: "a", ok: true, tried: []string{"a"}},
		{name: "rotated in since the last read", secret: fake{cur: "a", next: "b"}, want: "b", ok: true,
			tried: []string{"a", "b"}, wantRechecks: 1},
		{name: "wrong, nothing new", secret: fake{cur: "a"}, want: "x", tried: []string{"a"}, wantRechecks: 1},
		{name: "previous refused", secret: fake{cur: "b", prev: "a"}, want: "a", tried: []string{"b"}, wantRechecks: 1},
		{name: "no value", secret: fake{}, want: "", wantRechecks: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &accepts{want: tt.want}
			if got := rotating.Verify(context.Background(), &tt.secret, a.ok); got != tt.ok {
				t.Errorf("Verify: got %t; want %t", got, tt.ok)
			}
			if !slices.Equal(a.tried, tt.tried) || tt.secret.rechecks != tt.wantRechecks {
				t.Errorf("tried %q with %d rechecks; want %q with %d", a.tried, tt.secret.rechecks, tt.tried, tt.wantRechecks)
			}
		})
	}
}

func TestVerifyRecent(t *testing.T) {
	tests := []struct {
		name         string
		secret       fake
		want         string
		ok           bool
		tried        []string
		wantRechecks int
	}{
		{name: "current", secret: fake{cur: "b", prev: "a"}, want: "b", ok: true, tried: []string{"b"}},
		{name: "made before the rotation", secret: fake{cur: "b", prev: "a"}, want: "a", ok: true, tried: []string{"b", "a"}},
		{name: "made by an instance that read later", secret: fake{cur: "a", next: "b"}, want: "b", ok: true,
			tried: []string{"a", "b"}, wantRechecks: 1},
		{name: "older than the previous", secret: fake{cur: "c", prev: "b"}, want: "a", tried: []string{"c", "b"}, wantRechecks: 1},
		{name: "no value", secret: fake{}, want: "", wantRechecks: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &accepts{want: tt.want}
			if got := rotating.VerifyRecent(context.Background(), &tt.secret, a.ok); got != tt.ok {
				t.Errorf("VerifyRecent: got %t; want %t", got, tt.ok)
			}
			if !slices.Equal(a.tried, tt.tried) || tt.secret.rechecks != tt.wantRechecks {
				t.Errorf("tried %q with %d rechecks; want %q with %d", a.tried, tt.secret.rechecks, tt.tried, tt.wantRechecks)
			}
		})
	}
}

func TestFixedRedacts(t *testing.T) {
	const value = "fixed-CANARY-5a6b7c"
	f := rotating.Fixed(value)
	if f.Current() != value || f.Previous() != "" || f.Recheck(context.Background(), value) {
		t.Error("Fixed: want its value, no previous and no re-read")
	}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", slog.Any("secret", f))
	printed := fmt.Sprintf("%v %s %q %#v %+v", f, f, f, f, struct{ S rotating.Fixed }{f}) + logs.String()
	if strings.Contains(printed, value) {
		t.Errorf("printed: %s; want the value redacted", printed)
	}
}
