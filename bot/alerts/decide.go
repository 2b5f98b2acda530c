package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
)

// Decisions reported to the sender and in the audit log.
const (
	decisionProposed  = "proposed"  // an approval card was posted
	decisionPaused    = "paused"    // auto mode: the pause was started
	decisionIgnored   = "ignored"   // nothing to do: resolved, duplicate, unmapped or not allow-listed
	decisionRefused   = "refused"   // storm guard: nothing paused, humans told why
	decisionConfirmed = "confirmed" // SMN subscription confirmed
	decisionForwarded = "forwarded" // SMN message posted for a human: a subscription to confirm, or a message not understood
)

const (
	maxLinks     = 6
	maxShownID   = 64 // an invalid id is shown to humans, but only this many bytes of it
	idLabel      = "disaster_recovery_id"
	alertnameKey = "alertname"
)

// firingAlert is one firing alert reduced to what a decision needs, whatever its source.
type firingAlert struct {
	key    string // dedup key: source, fingerprint and startsAt, or a hash of SMN's signed text
	id     string // DR id as the alert named it: possibly empty or invalid
	labels map[string]string
	links  []bot.Link
}

// batch is the firing part of one request. Resolved alerts never get this far.
type batch struct {
	source    string
	title     string
	alerts    []firingAlert
	truncated int        // alerts the sender left out; any means the picture is incomplete
	links     []bot.Link // request-wide links, such as the sender's external URL
	// replayKey names the request itself when its sender signs it with a timestamp (Grafana):
	// the same signed request, replayed to any instance within its window, is a duplicate.
	replayKey string
}

// result is the decision, as answered to the sender.
type result struct {
	Decision string   `json:"decision"`
	IDs      []string `json:"ids,omitempty"`
	Dropped  []string `json:"dropped,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	note     string   // for the channel only: what follows from the decision
}

// decide turns a batch into at most one Slack message. The storm guards of one request come
// first and look at every firing alert, seen before or not: a request naming many pairs is a
// monitoring fault however many of them were seen before. Dedup keys are then claimed in the
// ledger before anything is done, so that duplicates on any instance cannot both act, and given
// back when the request ends without acting, so that the sender's retry acts.
func (h *Handler) decide(ctx context.Context, b batch) (result, error) {
	named := distinct(b.alerts, func(a firingAlert) string { return a.id })
	holder := newHolder(b.source)
	// Checked before anything else: the alerts the sender left out may be the firing ones.
	if b.truncated > 0 {
		return h.refuse(ctx, b, holder, fmt.Sprintf("the sender left out %d alerts", b.truncated), named)
	}
	if len(b.alerts) == 0 {
		return result{Decision: decisionIgnored, Reason: "no firing alerts"}, nil
	}
	if len(named) > h.cfg.MaxIDs {
		reason := fmt.Sprintf("%d distinct DR ids in one request, more than the limit of %d", len(named), h.cfg.MaxIDs)
		return h.refuse(ctx, b, holder, reason, named)
	}

	c := &claims{l: h.cfg.Ledger, holder: holder}
	res, err := h.decideFresh(ctx, b, c)
	if err != nil || res.Decision == decisionRefused {
		c.release(ctx, h.log)
	}
	return res, err
}

// decideFresh claims the request's dedup keys and acts on the alerts no request, on any
// instance, handled within dedupTTL.
func (h *Handler) decideFresh(ctx context.Context, b batch, c *claims) (result, error) {
	now := h.now()
	if b.replayKey != "" {
		// A replay is accepted until its timestamp leaves the window, at most grafanaWindow
		// from now; the extra second covers the ledger's whole seconds.
		free, err := c.claimAll(ctx, []string{hashedKey(alertKeyPrefix, b.replayKey)}, now.Add(grafanaWindow+time.Second))
		if err != nil {
			return result{}, err
		}
		if !free[0] {
			return result{Decision: decisionIgnored, Reason: "duplicate: this signed request was received before"}, nil
		}
	}
	// Alerts naming no DR id can never act: they cost the ledger nothing.
	var naming []firingAlert
	var keys []string
	for _, a := range b.alerts {
		if a.id != "" {
			naming = append(naming, a)
			keys = append(keys, hashedKey(alertKeyPrefix, a.key))
		}
	}
	if len(naming) == 0 {
		return result{Decision: decisionIgnored, Reason: "no firing alert names a DR id"}, nil
	}
	free, err := c.claimAll(ctx, keys, now.Add(dedupTTL))
	if err != nil {
		return result{}, err
	}
	var fresh []firingAlert
	for i, a := range naming {
		if free[i] {
			fresh = append(fresh, a)
		}
	}
	if len(fresh) == 0 {
		return result{Decision: decisionIgnored, Reason: "duplicate: every firing alert was handled within the last hour"}, nil
	}
	return h.pauseOrPropose(ctx, b, fresh)
}

// pauseOrPropose proposes or starts the pause of the DR ids the fresh alerts name, within the
// storm budget, and reports the rest.
func (h *Handler) pauseOrPropose(ctx context.Context, b batch, fresh []firingAlert) (result, error) {
	var ids, dropped []string
	var acting []firingAlert
	for _, a := range fresh {
		switch {
		case drapi.ValidateID(a.id) != nil:
			dropped = appendNew(dropped, shownID(a.id)+" (not a valid id)")
		case h.cfg.AllowedIDs == nil || !h.cfg.AllowedIDs(a.id):
			dropped = appendNew(dropped, a.id)
		default:
			ids = appendNew(ids, a.id)
			acting = append(acting, a)
		}
	}
	if len(ids) == 0 {
		res := result{Decision: decisionIgnored, Dropped: dropped, Reason: "no named DR id may be paused"}
		return res, h.notify(ctx, b, res)
	}

	// The budget is reserved before Slack hears of the ids: two instances can never both
	// admit ids against the same count. A request it refuses records nothing.
	budget, err := h.cfg.Ledger.Reserve(ctx, budgetName, ids, h.cfg.MaxIDs, h.cfg.Window)
	if err != nil {
		return result{}, &ledgerError{op: "reserve", err: err}
	}
	if !budget.OK {
		return h.refuseBudget(ctx, b, ids, budget)
	}

	p := bot.Proposal{
		Channel: h.cfg.Channel,
		Source:  b.source,
		Title:   b.title,
		IDs:     ids,
		Labels:  commonLabels(acting),
		Links:   links(acting, b.links),
		Dropped: dropped,
	}
	// On error the result still says what was attempted, for the audit line.
	if h.cfg.Auto {
		res := result{Decision: decisionPaused, IDs: ids, Dropped: dropped}
		if err := h.act.PauseNow(ctx, p); err != nil {
			return res, fmt.Errorf("pause now: %w", err)
		}
		return res, nil
	}
	res := result{Decision: decisionProposed, IDs: ids, Dropped: dropped}
	if err := h.act.ProposePause(ctx, p); err != nil {
		return res, fmt.Errorf("propose pause: %w", err)
	}
	return res, nil
}

// refuse tells humans why the request was refused, once per distinct set of firing alerts
// across every instance: a storm that is re-sent every few minutes is reported once an hour,
// not every time. The alerts themselves are not claimed, so they can act once the storm has
// passed.
func (h *Handler) refuse(ctx context.Context, b batch, holder, reason string, named []string) (result, error) {
	res := result{Decision: decisionRefused, Reason: reason}
	for _, id := range named {
		res.IDs = append(res.IDs, shownID(id))
	}
	return h.tellOnce(ctx, b, res, refusalKey(b), holder, dedupTTL)
}

// refuseBudget refuses a request whose ids would take the alerts past DR_ALERT_MAX_IDS distinct
// ids within DR_ALERT_WINDOW, and tells the channel once per window, whichever instance meets
// the refusal first.
func (h *Handler) refuseBudget(ctx context.Context, b batch, ids []string, budget ledger.Budget) (result, error) {
	reason := fmt.Sprintf("the storm budget is spent: alerts proposed or paused %d distinct DR ids (%s) "+
		"within the last %s, the most DR_ALERT_MAX_IDS=%d allows within DR_ALERT_WINDOW",
		len(budget.IDs), strings.Join(budget.IDs, ", "), h.cfg.Window, h.cfg.MaxIDs)
	if !budget.Next.IsZero() {
		reason += fmt.Sprintf("; the oldest leaves the window at %s", budget.Next.UTC().Format(time.RFC3339))
	}
	res := result{Decision: decisionRefused, IDs: ids, Reason: reason,
		note: fmt.Sprintf("Further alerts past the budget are refused without another message for %s.", h.cfg.Window)}
	return h.tellOnce(ctx, b, res, budgetNoticeKey, newHolder(b.source), h.cfg.Window)
}

// tellOnce notifies the channel of a refusal unless key says another request, on any instance,
// did within ttl. If the message cannot be posted, the key is given back for the retry.
func (h *Handler) tellOnce(ctx context.Context, b batch, res result, key, holder string, ttl time.Duration) (result, error) {
	r, err := h.cfg.Ledger.Claim(ctx, key, holder, h.now().Add(ttl))
	if err != nil {
		return res, &ledgerError{op: "claim", err: err}
	}
	if !r.OK {
		res.Reason += "; already reported"
		return res, nil
	}
	if err := h.notify(ctx, b, res); err != nil {
		(&claims{l: h.cfg.Ledger, holder: holder, keys: []string{key}}).release(ctx, h.log)
		return res, err
	}
	return res, nil
}

// refusalKey names a refused request by its firing alerts, whatever their order.
func refusalKey(b batch) string {
	keys := make([]string, len(b.alerts))
	for i, a := range b.alerts {
		keys[i] = a.key
	}
	slices.Sort(keys)
	return hashedKey(refusalKeyPrefix, b.source+"\n"+strings.Join(keys, "\n"))
}

// notify tells the alert channel why an alert did not lead to a card or a pause.
func (h *Handler) notify(ctx context.Context, b batch, res result) error {
	var s strings.Builder
	fmt.Fprintf(&s, "Alert %q from %s: ", b.title, b.source)
	switch res.Decision {
	case decisionRefused:
		fmt.Fprintf(&s, "refused, nothing was paused: %s.", res.Reason)
		if len(res.IDs) > 0 {
			fmt.Fprintf(&s, " Ids named: %s.", strings.Join(res.IDs, ", "))
		}
		s.WriteString(" Many DR pairs failing together is more likely a monitoring fault; pause by hand with /dr pause <id> if one really needs it.")
		if res.note != "" {
			s.WriteString(" " + res.note)
		}
	default:
		fmt.Fprintf(&s, "not acted on: %s. Dropped: %s (see DR_ALLOWED_IDS).", res.Reason, strings.Join(res.Dropped, ", "))
	}
	if err := h.act.Notify(ctx, h.cfg.Channel, s.String()); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// audit logs one line per decision: what was decided about which ids and why, never the body.
func (h *Handler) audit(ctx context.Context, source string, res result, err error) {
	attrs := []slog.Attr{
		slog.String("source", source),
		slog.String("decision", res.Decision),
		slog.Any("disaster_recovery_ids", res.IDs),
		slog.Any("dropped", res.Dropped),
		slog.String("reason", res.Reason),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if name, ok := ledger.NameOf(err); ok {
			attrs = append(attrs, slog.String("ledger", name))
		}
		h.log.LogAttrs(ctx, slog.LevelError, "alert decision failed", attrs...)
		return
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "alert decision", attrs...)
}

// distinct returns the distinct non-empty values of f over alerts, in order of appearance.
func distinct(alerts []firingAlert, f func(firingAlert) string) []string {
	var out []string
	for _, a := range alerts {
		if v := f(a); v != "" {
			out = appendNew(out, v)
		}
	}
	return out
}

func appendNew(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// shownID quotes an id for humans; an invalid one is attacker-shaped text, so it is also cut short.
func shownID(id string) string {
	if drapi.ValidateID(id) == nil {
		return id
	}
	if len(id) > maxShownID {
		cut := maxShownID
		for cut > 0 && !utf8.RuneStart(id[cut]) {
			cut--
		}
		id = id[:cut] + "…"
	}
	return strconv.Quote(id)
}

// commonLabels returns the labels every acting alert shares, as Alertmanager's commonLabels would
// if it counted only the firing alerts.
func commonLabels(alerts []firingAlert) map[string]string {
	if len(alerts) == 0 {
		return nil
	}
	common := make(map[string]string, len(alerts[0].labels))
	for k, v := range alerts[0].labels {
		common[k] = v
	}
	for _, a := range alerts[1:] {
		for k, v := range common {
			if a.labels[k] != v {
				delete(common, k)
			}
		}
	}
	return common
}

// links gathers the acting alerts' links and the request's, without repeats and within maxLinks.
func links(alerts []firingAlert, extra []bot.Link) []bot.Link {
	var out []bot.Link
	add := func(l bot.Link) {
		if len(out) >= maxLinks || !isWebURL(l.URL) {
			return
		}
		for _, o := range out {
			if o.URL == l.URL {
				return
			}
		}
		out = append(out, l)
	}
	for _, a := range alerts {
		for _, l := range a.links {
			add(l)
		}
	}
	for _, l := range extra {
		add(l)
	}
	return out
}

// isWebURL keeps only http(s) links: a card button must not carry javascript: or file: URLs.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
