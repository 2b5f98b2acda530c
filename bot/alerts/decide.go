package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/pkg/drapi"
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
	key    string // dedup key: fingerprint+startsAt, or a hash of SMN's signed text
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
}

// result is the decision, as answered to the sender.
type result struct {
	Decision string   `json:"decision"`
	IDs      []string `json:"ids,omitempty"`
	Dropped  []string `json:"dropped,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

// decide turns a batch into at most one Slack message. The storm guards come first and look at
// every firing alert, seen before or not: a request naming many pairs is a monitoring fault
// however many of them were seen before. Dedup keys are then claimed up front so that concurrent
// duplicates cannot both act, and released when Actions fails, so that the sender's retry acts.
func (h *Handler) decide(ctx context.Context, b batch) (result, error) {
	named := distinct(b.alerts, func(a firingAlert) string { return a.id })
	// Checked before anything else: the alerts the sender left out may be the firing ones.
	if b.truncated > 0 {
		return h.refuse(ctx, b, fmt.Sprintf("the sender left out %d alerts", b.truncated), named)
	}
	if len(b.alerts) == 0 {
		return result{Decision: decisionIgnored, Reason: "no firing alerts"}, nil
	}
	if len(named) > h.cfg.MaxIDs {
		reason := fmt.Sprintf("%d distinct DR ids in one request, more than the limit of %d", len(named), h.cfg.MaxIDs)
		return h.refuse(ctx, b, reason, named)
	}

	now := h.now()
	var fresh []firingAlert
	var claimed []string
	for _, a := range b.alerts {
		if h.seen.claim(a.key, now) {
			fresh = append(fresh, a)
			claimed = append(claimed, a.key)
		}
	}
	if len(fresh) == 0 {
		return result{Decision: decisionIgnored, Reason: "duplicate: every firing alert was seen within the last hour"}, nil
	}
	res, err := h.pauseOrPropose(ctx, b, fresh)
	if err != nil {
		h.seen.release(claimed)
	}
	return res, err
}

// pauseOrPropose proposes or starts the pause of the DR ids the fresh alerts name, and reports the rest.
func (h *Handler) pauseOrPropose(ctx context.Context, b batch, fresh []firingAlert) (result, error) {
	var ids, dropped []string
	var acting []firingAlert
	for _, a := range fresh {
		switch {
		case a.id == "":
			continue
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
		if len(dropped) == 0 {
			return result{Decision: decisionIgnored, Reason: "no firing alert names a DR id"}, nil
		}
		res := result{Decision: decisionIgnored, Dropped: dropped, Reason: "no named DR id may be paused"}
		return res, h.notify(ctx, b, res)
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

// refuse tells humans why the request was refused, once per distinct set of firing alerts: a
// storm that is re-sent every few minutes is reported once an hour, not every time. The alerts
// themselves are not marked as seen, so they can act once the storm has passed.
func (h *Handler) refuse(ctx context.Context, b batch, reason string, named []string) (result, error) {
	res := result{Decision: decisionRefused, Reason: reason}
	for _, id := range named {
		res.IDs = append(res.IDs, shownID(id))
	}
	key := refusalKey(b)
	if !h.seen.claim(key, h.now()) {
		res.Reason += "; already reported"
		return res, nil
	}
	if err := h.notify(ctx, b, res); err != nil {
		h.seen.release([]string{key})
		return res, err
	}
	return res, nil
}

// refusalKey names a request by its firing alerts, hashed to keep the dedup memory small.
func refusalKey(b batch) string {
	keys := make([]string, len(b.alerts))
	for i, a := range b.alerts {
		keys[i] = a.key
	}
	slices.Sort(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\n")))
	return "refused|" + b.source + "|" + hex.EncodeToString(sum[:])
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
