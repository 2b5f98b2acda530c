package bot

import (
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"time"

	"github.com/dws-dr/drpause/pkg/ledger"
)

// Ledger is what the bot needs from the ledger shared by every instance (pkg/ledger): it keeps
// each card single-use and each DR to one operation at a time, wherever the clicks, the alerts
// and /invoke land. *ledger.Memory and *ledger.DynamoDB satisfy it. Every error that means it
// could not answer matches ledger.ErrUnavailable; the bot then does nothing and says so.
type Ledger interface {
	Claim(ctx context.Context, key, holder string, until time.Time) (ledger.Result, error)
	Mark(ctx context.Context, key string, state ledger.State, by string, until time.Time) (ledger.Result, error)
	Release(ctx context.Context, key, holder string) error
	Get(ctx context.Context, key string) (ledger.Record, bool, error)
	Put(ctx context.Context, key, holder string, until time.Time) (ledger.Record, error)
}

var (
	_ Ledger = (*ledger.Memory)(nil)
	_ Ledger = (*ledger.DynamoDB)(nil)
)

const (
	// jobStartMargin is added to a DR's claim for the job to start: an asynchronous Lambda
	// invocation queues for seconds, or longer when Lambda is busy.
	jobStartMargin = time.Minute
	// cardMargin keeps a card's record a little past the card's life, for clocks that differ
	// between instances.
	cardMargin = time.Minute
	// ledgerTimeout bounds the ledger calls made after a request or a job ended (releases).
	ledgerTimeout = 5 * time.Second
)

// Card keys. A card made for one DR is one key: the Pause click claims it and Cancel marks it
// void, so each refuses the other with one conditional write. A card holding several DRs (an
// alert card) has a key per DR, claimed by its Pause, and the card's own key, which Cancel marks
// void; a Pause then reads the card's key after its claim, and a Cancel reads the DR's key
// after its mark, so of a Pause and a Cancel racing, one always sees the other.
func cardKey(v buttonValue) string {
	if v.Many {
		return "card#" + v.Card + "#" + v.ID
	}
	return cardVoidKey(v)
}

func cardVoidKey(v buttonValue) string { return "card#" + v.Card }

// cardUntil is how long the records of a card are kept: while the card may still be clicked,
// and a little more. A record made after that (a Cancel on an expired card) lives a minute.
func (b *Bot) cardUntil(v buttonValue, now time.Time) time.Time {
	end := time.Unix(v.RequestedAt, 0).Add(b.cfg.CardTTL)
	if now.After(end) {
		end = now
	}
	return end.Add(cardMargin)
}

// clickHolder is the holder of a card claim: the clicker and a nonce of this click, so that
// only this click can release it, and a Cancel by the same user (marked by the plain user id)
// is refused while the click holds the card.
func clickHolder(user string) string { return user + "/" + rand.Text() }

// holderUser is the Slack user id in a card record's holder.
func holderUser(holder string) string {
	user, _, _ := strings.Cut(holder, "/")
	return user
}

// opUntil is how long a claim on a DR made now lasts: the job's start, its follow (DR_WAIT) and
// its final report. The job releases it sooner when it ends.
func (b *Bot) opUntil(now time.Time) time.Time {
	return now.Add(jobStartMargin + b.cfg.Wait + reportMargin)
}

// claimOp claims the one operation on DR id, a pause or a resume, for by (a Slack user id, or
// "alert:<source>"). On refusal the result names who holds the DR, and for what.
func (b *Bot) claimOp(ctx context.Context, o operation, id, by string, now time.Time) (ledger.Op, ledger.Result, error) {
	op := ledger.NewOp(o.Name, by)
	r, err := b.ledger.Claim(ctx, ledger.OpKey(id), op.String(), b.opUntil(now))
	return op, r, err
}

// release gives a claim back on a context of its own: it is called when the request or the job
// that made the claim is ending, and a claim left behind would block the DR (or the card) until
// it expires. A failure is logged: the claim then expires on its own.
func (b *Bot) release(ctx context.Context, key, holder string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	if err := b.ledger.Release(ctx, key, holder); err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "ledger release failed; the claim expires on its own",
			slog.String("key", key), slog.String("error", err.Error()))
	}
}

// ledgerName is the ledger named in an error, for messages: "DynamoDB table drpause-ledger".
func ledgerName(err error) string {
	if name, ok := ledger.NameOf(err); ok {
		return name
	}
	return "ledger"
}

// lastPauseBudget bounds the read of a DR's last pause for a resume card, on top of the lookup
// budget: the card still comes within Slack's 3 s.
const lastPauseBudget = 500 * time.Millisecond

// lastPauseKept is how long the last pause of a DR is remembered: long enough to outlast the
// incident that caused it, and its review.
const lastPauseKept = 30 * 24 * time.Hour

// lastPauseKey is the key of the last pause of DR id that drpause sent and DWS accepted. A resume
// card shows it, and a resume card made before it is refused.
func lastPauseKey(id string) string { return "lastpause#" + id }

// PauseRecorder returns the function that records, in l, that by (a Slack user id,
// "alert:<source>" or "invoke") paused DR id just now: every path that pauses calls it once DWS
// has accepted its pause, so resume cards can say who paused the DR and when. The record
// replaces the one before it and is kept for 30 days. A failure is logged and otherwise ignored:
// the pause happened; a resume card then says it does not know.
func PauseRecorder(l Ledger, log *slog.Logger) func(ctx context.Context, id, by string) {
	return func(ctx context.Context, id, by string) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
		defer cancel()
		if err := recordPause(ctx, l, id, by); err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "last pause not recorded; resume cards will not show it",
				slog.String("disaster_recovery_id", id), slog.String("error", err.Error()))
		}
	}
}

// recordPause writes the last pause of DR id, held by a ledger.Op naming who paused; the
// record's time is when. It replaces the record before it: the newest pause is the one to show.
func recordPause(ctx context.Context, l Ledger, id, by string) error {
	_, err := l.Put(ctx, lastPauseKey(id), ledger.NewOp(pauseOp.Name, by).String(), time.Now().Add(lastPauseKept))
	return err
}

// lastPauseOf reads the last pause of DR id that drpause recorded.
func (b *Bot) lastPauseOf(ctx context.Context, id string) lastPause {
	rec, found, err := b.ledger.Get(ctx, lastPauseKey(id))
	if err != nil || !found {
		return lastPause{Err: err}
	}
	return lastPause{Known: true, By: ledger.ParseOp(rec.Holder).By, At: rec.At}
}
