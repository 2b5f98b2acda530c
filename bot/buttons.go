package bot

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// Action ids of the card buttons; part of the public interface.
const (
	actionPause  = "dr_pause"
	actionResume = "dr_resume"
	actionCancel = "dr_cancel"
)

// buttonValue is what a card button carries back to the bot on a click: what the card asks
// for, and the card's id, under which the ledger records that the card was used or cancelled.
// It is not secret, but it is authenticated: Slack signs the click, not the value inside it,
// which is whatever the client sends back. Without the MAC a requester could drop "by" or set
// "src" and approve their own pause under four-eyes, forge the requester in the audit line, or
// carry a button into another channel.
type buttonValue struct {
	ID          string `json:"id"`
	Requester   string `json:"by,omitempty"` // Slack user id; empty for an alert card
	RequestedAt int64  `json:"at"`           // Unix seconds
	AlertSource string `json:"src,omitempty"`
	AlertTitle  string `json:"title,omitempty"`
	// Card is the card's id, a random nonce: its buttons act at most once (see cardKey).
	Card string `json:"card,omitempty"`
	// Channel is where the card was posted: a click from any other channel is refused. Empty
	// only in values made by ButtonValue, which any channel accepts.
	Channel string `json:"ch,omitempty"`
	// Team is the requester's Slack team; the clicker's own team is checked on the click.
	Team string `json:"team,omitempty"`
	// Many: the card holds buttons for several DRs (an alert card), each used once.
	Many bool `json:"many,omitempty"`
	// Op is the operation the card asks for: empty for a pause, so values made before resume
	// existed keep their MAC and meaning; "resume" for a resume card. The click's action_id must
	// agree with it: Slack does not authenticate the action_id, only the value is the bot's.
	Op string `json:"op,omitempty"`
	// Paused is, on a resume card, when the last pause it showed was recorded (Unix
	// milliseconds; 0: none known). A click finding another pause recorded since is refused.
	Paused int64  `json:"paused,omitempty"`
	MAC    string `json:"mac,omitempty"` // see buttonKey
}

func (v buttonValue) encode() string {
	b, _ := json.Marshal(v) // a struct of strings and ints always marshals
	return string(b)
}

// errBadButton: a button value the bot did not make, or that was changed since.
var errBadButton = errors.New("button value not made by this bot, or changed")

// buttonKeyLabel separates the button key from every other use of the signing secret; a new
// value format gets a new label, so old cards stop working instead of being misread.
// v2 added the card id, channel and team: cards made before it stop working.
const buttonKeyLabel = "drpause button v2"

// buttonKey MACs the button values the bot makes. It is derived from the signing secret, so
// every instance of the bot shares it without a new setting, and rotating the secret voids the
// cards made before, once the previous value is no longer accepted (see buttonKeys).
type buttonKey []byte

func newButtonKey(signingSecret string) buttonKey {
	m := hmac.New(sha256.New, []byte(signingSecret))
	m.Write([]byte(buttonKeyLabel))
	return m.Sum(nil)
}

func (buttonKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// sum is the MAC of v: HMAC-SHA256 over the JSON of v without its MAC. json.Marshal writes the
// fields in struct order, so the encoding is canonical for the decoded values: what is
// authenticated is the values the click uses, however the client spelled them.
func (k buttonKey) sum(v buttonValue) string {
	v.MAC = ""
	m := hmac.New(sha256.New, k)
	m.Write([]byte(v.encode()))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// seal returns v with its MAC, encoded as a button carries it.
func (k buttonKey) seal(v buttonValue) string {
	// JSON carries invalid UTF-8 as U+FFFD, so MAC the values as a click will decode them.
	for _, f := range []*string{&v.ID, &v.Requester, &v.AlertSource, &v.AlertTitle, &v.Card, &v.Channel, &v.Team, &v.Op} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}
	v.MAC = k.sum(v)
	return v.encode()
}

// ButtonValue returns the value of a card button for DR id asked for by requester (a Slack user
// id) at the given time, as a Bot with this signing secret makes it, on a card of its own (a
// fresh card id) that names no channel. It is for tools that click without a card from the bot
// (load tests, sample events): a click must carry a value the bot made, and one whose time is
// more than Config.CardTTL ago is refused. Each value acts once, like a card.
func ButtonValue(signingSecret, id, requester string, at time.Time) string {
	return newButtonKey(signingSecret).seal(buttonValue{ID: id, Requester: requester, RequestedAt: at.Unix(), Card: newCardID()})
}

// newCardID returns a card id no other card will have: 128 random bits.
func newCardID() string { return rand.Text() }

// open decodes a button value and checks its MAC before anything else looks at it; the id is
// validated after, so that even a value the bot made never names a URL path it should not.
// A decode or MAC failure wraps errBadButton.
func (k buttonKey) open(s string) (buttonValue, error) {
	var v buttonValue
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return buttonValue{}, fmt.Errorf("%w: decode: %w", errBadButton, err)
	}
	if !hmac.Equal([]byte(v.MAC), []byte(k.sum(v))) {
		return buttonValue{}, errBadButton
	}
	if err := drapi.ValidateID(v.ID); err != nil {
		return buttonValue{}, err
	}
	return v, nil
}

// sealer makes button values: a buttonKey, or the bot's buttonKeys.
type sealer interface {
	seal(v buttonValue) string
}

// buttonKeys are the keys derived from a signing secret that may be rotated: values are sealed
// with the key of the secret in force, and open with it or, for the card lifetime after a
// rotation, with the previous one, so cards posted before the rotation still work. A value that
// opens with neither is not re-read for: the click's signature, checked first with the same
// secret, already was.
type buttonKeys struct{ secret rotating.Secret }

func (k buttonKeys) seal(v buttonValue) string { return newButtonKey(k.secret.Current()).seal(v) }

func (k buttonKeys) open(s string) (buttonValue, error) {
	v, err := newButtonKey(k.secret.Current()).open(s)
	if prev := k.secret.Previous(); errors.Is(err, errBadButton) && prev != "" {
		return newButtonKey(prev).open(s)
	}
	return v, err
}

// opButtons is the actions block of a card asking for op (v.Op names it); its block id names
// the DR, so a card with several DRs can replace the block of the one clicked. name is the DR's,
// for the confirm dialog.
func opButtons(op operation, v buttonValue, name string, key sealer) *slack.ActionBlock {
	name = truncate(name, 80) // the dialog's text is capped: what follows the name must show
	title, text, deny := "Pause DR replication?",
		fmt.Sprintf("Pause DR %s (%s)? Replication stops until someone starts it again.", v.ID, name), "Keep running"
	if op.Name == resumeOp.Name {
		title, text, deny = "Resume DR replication?",
			fmt.Sprintf("Resume DR %s (%s)? Only if the primary cluster is healthy: replication copies its current state over the standby, the only good copy if the primary is damaged.", v.ID, name),
			"Keep paused"
	}
	confirm := slack.NewConfirmationBlockObject(plain(title, 100), plain(text, maxConfirmText),
		plain(op.Title(), 30), plain(deny, 30)).WithStyle(slack.StyleDanger)
	value := key.seal(v)
	act := slack.NewButtonBlockElement(op.action, value, plain(op.Title(), 75)).
		WithStyle(slack.StyleDanger).WithConfirm(confirm)
	cancel := slack.NewButtonBlockElement(actionCancel, value, plain("Cancel", 75))
	return slack.NewActionBlock(actionsBlockID(v.ID), act, cancel)
}

func actionsBlockID(id string) string { return "dr_actions:" + id }
