package alerts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// Actions is what an alert decision needs from the Slack side; *bot.Bot satisfies it. Each call
// gets a context bounded to about 3.5 s so the sender is answered in time: work that outlives
// the request, such as following a pause to stopped, must detach from it. An error makes the
// sender retry, so it must mean that nothing reached Slack, or that what did is safe to repeat
// (a second pause of the same DR is a no-op after the status check).
type Actions interface {
	ProposePause(ctx context.Context, p bot.Proposal) error // one approval card for the request
	PauseNow(ctx context.Context, p bot.Proposal) error     // auto mode: pause allow-listed ids now, result to the channel
	// Notify tells humans, in plain text that it escapes: a refused storm, dropped ids, an SMN
	// confirmation needing a human, an SMN message not understood.
	Notify(ctx context.Context, channel, text string) error
}

// Config configures the alert routes. A route whose credential is empty (or whose check is nil)
// is disabled and answers 403, so a forgotten variable never leaves a route open.
type Config struct {
	// AlertBearer checks the Authorization header of /alerts/alertmanager against DR_ALERT_TOKEN;
	// nil disables the route (403).
	AlertBearer   func(authorization string) bool
	GrafanaSecret string            // DR_GRAFANA_SECRET: empty disables /alerts/grafana (403)
	SMNTopics     []string          // DR_SMN_TOPICS: empty disables /alerts/smn (403)
	SMNMap        map[string]string // DR_SMN_MAP: alarm rule name or resource id -> DR id (see ParseSMNMap)
	Channel       string            // DR_ALERT_CHANNEL: required when any route is enabled
	Auto          bool              // DR_ALERT_AUTO: PauseNow instead of ProposePause
	// MaxIDs (DR_ALERT_MAX_IDS; 0 means 2) bounds the distinct DR ids one request may name, and
	// the distinct ids alerts may propose or pause within Window, across requests and instances.
	MaxIDs int
	Window time.Duration // DR_ALERT_WINDOW: the sliding window of that budget; 0 means 10 minutes
	// Ledger keeps the dedup keys and the storm budget where every instance sees them; required
	// when any route is enabled.
	Ledger Ledger
	// AllowedIDs (DR_ALLOWED_IDS) reports whether alerts may name a DR id; nil allows none.
	AllowedIDs func(id string) bool
	// GrafanaSecrets, when set, is used instead of GrafanaSecret: a secret that may be rotated
	// while the handler runs; a wrong signature asks it for a re-read.
	GrafanaSecrets rotating.Secret
	// HTTPClient fetches SMN signing certificates and confirms subscriptions; nil means a client
	// with a short timeout that, like Go's default transport, honours HTTPS_PROXY and trusts the
	// system roots. Redirects are never followed, whatever the client says, since they would
	// escape the host rules.
	HTTPClient *http.Client
	Logger     *slog.Logger // nil discards logs
	Now        func() time.Time
}

const (
	defaultMaxIDs = 2
	defaultWindow = 10 * time.Minute
	maxBody       = 1 << 20 // alert payloads are a few KiB; SMN caps messages at 256 KiB
	// actionTimeout leaves room under the 4 s answer budget (SMN and PagerDuty give up at 5 s).
	actionTimeout = 3500 * time.Millisecond
	// grafanaWindow bounds how old or how far ahead a signed Grafana timestamp may be.
	grafanaWindow = 5 * time.Minute
	// dedupTTL is how long an alert, once handled, is a duplicate on every instance: less than
	// Alertmanager's 4 h repeat_interval, so an alert still firing is proposed again.
	dedupTTL = time.Hour
	// smnWindow bounds how old or how far ahead a signed SMN notification may be. It equals
	// dedupTTL, so a replay is either remembered by the ledger or refused; SMN's retry schedule
	// is not documented, so a tighter window could drop a real alarm.
	smnWindow = dedupTTL
)

// Handler serves the alert routes. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	act    Actions
	log    *slog.Logger
	now    func() time.Time
	topics map[string]string
	certs  *certCache
	hc     *http.Client
}

// New checks cfg and returns a Handler calling act.
func New(cfg Config, act Actions) (*Handler, error) {
	if act == nil {
		return nil, errors.New("alerts: nil actions")
	}
	if cfg.MaxIDs == 0 {
		cfg.MaxIDs = defaultMaxIDs
	}
	if cfg.MaxIDs < 0 {
		return nil, fmt.Errorf("alerts: max ids %d: want a positive number", cfg.MaxIDs)
	}
	if cfg.Window == 0 {
		cfg.Window = defaultWindow
	}
	if cfg.Window < 0 {
		return nil, fmt.Errorf("alerts: window %s: want a positive duration", cfg.Window)
	}
	if cfg.GrafanaSecrets == nil && cfg.GrafanaSecret != "" {
		cfg.GrafanaSecrets = rotating.Fixed(cfg.GrafanaSecret)
	}
	enabled := cfg.AlertBearer != nil || cfg.GrafanaSecrets != nil || len(cfg.SMNTopics) > 0
	if enabled && cfg.Channel == "" {
		return nil, errors.New("alerts: an alert route is enabled but the alert channel is empty")
	}
	// Without the ledger, dedup and the storm budget would hold in no instance at all.
	if enabled && cfg.Ledger == nil {
		return nil, errors.New("alerts: an alert route is enabled but no ledger is set")
	}
	h := &Handler{cfg: cfg, act: act, log: cfg.Logger, now: cfg.Now}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.topics = make(map[string]string, len(cfg.SMNTopics))
	for i, t := range cfg.SMNTopics {
		if t = strings.TrimSpace(t); t != "" {
			// Kept with the topic: the region decides which certificate and confirmation hosts are SMN's.
			region, ok := topicRegion(t)
			if !ok {
				return nil, fmt.Errorf("alerts: smn topic %d: want urn:smn:<region>:<project id>:<name>", i+1)
			}
			h.topics[t] = region
		}
	}
	for key, id := range cfg.SMNMap {
		if err := drapi.ValidateID(id); err != nil {
			return nil, fmt.Errorf("alerts: smn map %q: %w", key, err)
		}
	}
	h.hc = noRedirects(cfg.HTTPClient)
	h.certs = newCertCache(certCacheSize)
	return h, nil
}

// noRedirects returns a copy of c (or of a default client) that never follows a redirect.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = newSMNClient()
	}
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}
