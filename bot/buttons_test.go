package bot

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestButtonValue(t *testing.T) {
	v := buttonValue{ID: goldenID, Requester: "U1", RequestedAt: goldenAt.Unix(), AlertSource: "grafana", AlertTitle: "t",
		Card: goldenCard, Channel: chanID, Team: teamID, Many: true}
	sealed := testKey.seal(v)
	if n := len(sealed); n >= maxButtonValue {
		t.Errorf("sealed value is %d bytes; want under %d", n, maxButtonValue)
	}
	got, err := testKey.open(sealed)
	if want := (buttonValue{ID: v.ID, Requester: v.Requester, RequestedAt: v.RequestedAt,
		AlertSource: v.AlertSource, AlertTitle: v.AlertTitle, Card: v.Card, Channel: v.Channel, Team: v.Team, Many: v.Many,
		MAC: got.MAC}); err != nil || got != want || got.MAC == "" {
		t.Errorf("round trip: got %+v, %v; want %+v with a MAC", got, err, want)
	}

	// Every field is covered by the MAC: a value changed in any of them, or re-sealed with
	// another key, is refused as not the bot's, before its id is even looked at.
	resealed := func(edit func(*buttonValue)) string {
		w := v
		edit(&w)
		w.MAC = testKey.sum(v) // the MAC of the original value
		return w.encode()
	}
	bad := map[string]string{
		"empty":               "",
		"not JSON":            "{",
		"null":                "null",
		"no MAC":              v.encode(),
		"other key":           newButtonKey("another-signing-secret").seal(v),
		"raw secret key":      buttonKey(testSecret).seal(v),
		"MAC changed":         strings.Replace(sealed, `"}`, `x"}`, 1),
		"id changed":          resealed(func(w *buttonValue) { w.ID = goldenID2 }),
		"by removed":          resealed(func(w *buttonValue) { w.Requester = "" }),
		"by changed":          resealed(func(w *buttonValue) { w.Requester = "U2" }),
		"at changed":          resealed(func(w *buttonValue) { w.RequestedAt++ }),
		"src changed":         resealed(func(w *buttonValue) { w.AlertSource = "smn" }),
		"title changed":       resealed(func(w *buttonValue) { w.AlertTitle = "u" }),
		"card changed":        resealed(func(w *buttonValue) { w.Card = "ANOTHERCARD" }),
		"card removed":        resealed(func(w *buttonValue) { w.Card = "" }),
		"channel changed":     resealed(func(w *buttonValue) { w.Channel = "C2" }),
		"channel removed":     resealed(func(w *buttonValue) { w.Channel = "" }),
		"team changed":        resealed(func(w *buttonValue) { w.Team = "T2" }),
		"many removed":        resealed(func(w *buttonValue) { w.Many = false }),
		"unsigned hostile id": `{"id":"../../pause"}`,
	}
	for name, s := range bad {
		if _, err := testKey.open(s); !errors.Is(err, errBadButton) {
			t.Errorf("%s: open(%q): got %v; want errBadButton", name, s, err)
		}
	}

	// The exported form is a value the bot opens, for tools outside the package: each on a card
	// of its own, in no channel in particular.
	a, err := testKey.open(ButtonValue(testSecret, goldenID, "U1", goldenAt))
	if err != nil || a.ID != goldenID || a.Requester != "U1" || a.RequestedAt != goldenAt.Unix() || a.Card == "" || a.Channel != "" {
		t.Errorf("ButtonValue: got %+v, %v; want DR %s asked by U1 at %v on a card, any channel", a, err, goldenID, goldenAt)
	}
	if b, _ := testKey.open(ButtonValue(testSecret, goldenID, "U1", goldenAt)); b.Card == a.Card {
		t.Errorf("ButtonValue: two values share the card %q; want a card each", a.Card)
	}

	// The worst an alert can do to the length: every character escaped by JSON as \u003c.
	worst := Proposal{Channel: chanID, Source: strings.Repeat("<", 5000), Title: strings.Repeat("<", 5000), IDs: []string{goldenID}}
	for _, value := range buttonValues(alertCardMessage(worst, newCardID(), goldenAt, testKey)) {
		if n := utf8.RuneCountInString(value); n >= maxButtonValue {
			t.Errorf("alert card button value is %d characters; want under %d", n, maxButtonValue)
		}
		if _, err := testKey.open(value); err != nil {
			t.Errorf("alert card button value does not open: %v", err)
		}
	}

	// Behind a valid MAC the id is still validated.
	for _, id := range []string{"../../pause", strings.ToUpper(goldenID), ""} {
		s := testKey.seal(buttonValue{ID: id, RequestedAt: 1})
		if _, err := testKey.open(s); err == nil || errors.Is(err, errBadButton) {
			t.Errorf("open(%q): got %v; want an invalid id error", s, err)
		}
	}
}
