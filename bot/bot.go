package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/ledger"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// DR is what the bot needs from the DR API; *drapi.Client satisfies it.
type DR interface {
	Get(ctx context.Context, id string) (*drapi.Detail, error)
	List(ctx context.Context, f drapi.ListFilter) ([]drapi.Summary, error)
	PauseAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
	StartAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error)
}

var _ DR = (*drapi.Client)(nil)

// Config configures a Bot. The environment variable each field comes from is named beside it;
// reading the environment is the caller's job.
//
// Allow-lists deny by default: a nil Allow allows nobody. Parsing the lists, and applying the
// documented defaults of DR_ALLOWED_CHANNELS, DR_ALLOWED_IDS and DR_ALLOWED_TEAMS ("*"), is the
// caller's job.
type Config struct {
	SigningSecret   string              // SLACK_SIGNING_SECRET
	BotToken        string              // SLACK_BOT_TOKEN; empty: response_url only
	SlackAPIURL     string              // SLACK_API_URL, default "https://slack.com/api/"
	AllowedUsers    Allow               // DR_ALLOWED_USERS
	AllowedChannels Allow               // DR_ALLOWED_CHANNELS
	AllowedIDs      Allow               // DR_ALLOWED_IDS
	AllowedTeams    Allow               // DR_ALLOWED_TEAMS: a request's team_id or enterprise_id
	Confirm         bool                // DR_CONFIRM
	FourEyes        bool                // DR_FOUR_EYES
	Resume          bool                // DR_RESUME: /dr resume and resume cards act; off, they are refused naming it
	Wait            time.Duration       // DR_WAIT: how long to follow a pause or a resume; default 10m
	LookupBudget    time.Duration       // default 1500ms: status/list/card lookups beyond this are deferred
	CardTTL         time.Duration       // default 1h: a click on an older card is refused
	Follow          drapi.FollowOptions // poll intervals (tests set milliseconds); OnStatus is set by the bot
	HTTPClient      *http.Client        // for response_url and the Web API; nil: a default with timeouts
	Logger          *slog.Logger
	Deferrer        Deferrer // nil: an in-process deferrer, drained by Shutdown
	// Ledger is shared with everything else that pauses (alerts, /invoke) on every instance
	// (DR_LEDGER). Nil: a ledger of this Bot alone, for tests and a single process.
	Ledger Ledger
	Now    func() time.Time
	// Simulated (DR_SIMULATE): the DR client talks to the simulator, and every message to
	// Slack says so.
	Simulated bool
	// Platform tells, per request, what the platform serving it allows (see Platform); nil: a
	// plain server, where deferred work runs on after the answer.
	Platform func(ctx context.Context) Platform

	// SigningSecrets, when set, is used instead of SigningSecret: a signing secret that may be
	// rotated while the bot runs. A request whose signature fails asks it for a re-read, and a
	// card made with its previous value still works.
	SigningSecrets rotating.Secret
	// BotTokens, when set, is used instead of BotToken: a bot token that may be rotated while
	// the bot runs; each Web API call uses the value in force.
	BotTokens rotating.Secret
}

// Defaults of the Config fields that have one.
const (
	DefaultSlackAPIURL  = "https://slack.com/api/"
	DefaultWait         = 10 * time.Minute
	DefaultLookupBudget = 1500 * time.Millisecond
	DefaultCardTTL      = time.Hour
)

// Bot serves Slack's slash command and interactivity requests and runs the work they defer.
// It is safe for concurrent use.
type Bot struct {
	cfg      Config
	secret   rotating.Secret // the signing secret
	buttons  buttonKeys
	dr       DR
	botToken rotating.Secret
	api      atomic.Pointer[apiClient] // the Web API client of the last token used; see slackAPI
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	deferrer Deferrer
	local    *localDeferrer // the deferrer when it is the in-process one, for Shutdown
	ledger   Ledger
	// recordPause records who paused a DR, for its resume cards (PauseRecorder).
	recordPause func(ctx context.Context, id, by string)
	// sleep waits between attempts to deliver a message to Slack; tests record the waits
	// instead of sitting them out.
	sleep func(ctx context.Context, d time.Duration) error
}

// New checks cfg and returns a Bot calling dr.
func New(cfg Config, dr DR) (*Bot, error) {
	if cfg.SigningSecrets == nil {
		cfg.SigningSecrets = rotating.Fixed(cfg.SigningSecret)
	}
	if cfg.SigningSecrets.Current() == "" {
		return nil, errors.New("bot: signing secret is required")
	}
	if dr == nil {
		return nil, errors.New("bot: DR client is required")
	}
	if cfg.FourEyes && !cfg.Confirm {
		// Without a card the requester's own command is the approval.
		return nil, errors.New("bot: DR_FOUR_EYES requires DR_CONFIRM: with confirmation off nobody else approves")
	}
	if cfg.SlackAPIURL == "" {
		cfg.SlackAPIURL = DefaultSlackAPIURL
	}
	u, err := url.Parse(cfg.SlackAPIURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("bot: invalid Slack API URL %q", cfg.SlackAPIURL)
	}
	if !strings.HasSuffix(cfg.SlackAPIURL, "/") {
		cfg.SlackAPIURL += "/"
	}
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultWait
	}
	if cfg.LookupBudget <= 0 {
		cfg.LookupBudget = DefaultLookupBudget
	}
	if cfg.CardTTL <= 0 {
		cfg.CardTTL = DefaultCardTTL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Ledger == nil {
		cfg.Ledger = ledger.NewMemory()
	}
	b := &Bot{
		cfg:      cfg,
		secret:   cfg.SigningSecrets,
		buttons:  buttonKeys{cfg.SigningSecrets},
		dr:       dr,
		http:     cfg.HTTPClient,
		log:      cfg.Logger,
		now:      cfg.Now,
		deferrer: cfg.Deferrer,
		ledger:   cfg.Ledger,
		sleep:    sleep,
	}
	b.recordPause = PauseRecorder(b.ledger, b.log)
	b.botToken = cfg.BotTokens
	if b.botToken == nil {
		b.botToken = rotating.Fixed(cfg.BotToken)
	}
	if b.deferrer == nil {
		b.local = newLocalDeferrer(b)
		b.deferrer = b.local
	}
	return b, nil
}

// Shutdown stops accepting deferred work and waits for the in-process jobs until ctx ends. Jobs
// still running then are cancelled, and each tells Slack it was interrupted, what it had done
// and how to check the DR; Shutdown waits a short grace period for those messages. With a
// Config.Deferrer it has nothing to wait for and returns nil.
func (b *Bot) Shutdown(ctx context.Context) error {
	if b.local == nil {
		return nil
	}
	return b.local.shutdown(ctx)
}

// apiClient is a Web API client and the token it was made with.
type apiClient struct {
	token  string
	client *slack.Client
}

// slackAPI returns the Web API client of the bot token in force, or nil without a token. A
// client is made again only when the token changed.
func (b *Bot) slackAPI() *slack.Client {
	token := b.botToken.Current()
	if token == "" {
		return nil
	}
	if c := b.api.Load(); c != nil && c.token == token {
		return c.client
	}
	c := &apiClient{token: token, client: slack.New(token, slack.OptionAPIURL(b.cfg.SlackAPIURL), slack.OptionHTTPClient(b.cfg.HTTPClient))}
	b.api.Store(c)
	return c.client
}

// outgoing is m as this deployment sends it to Slack: marked simulated under DR_SIMULATE. Every
// way out (the slash command's answer, response_url, chat.postMessage, chat.update) goes
// through it.
func (b *Bot) outgoing(m slackMessage) slackMessage {
	if b.cfg.Simulated {
		return markSimulated(m)
	}
	return m
}
