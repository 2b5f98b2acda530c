package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

const unknownID = "11111111-2222-4333-8444-555555555555"

// TestCommands runs every subcommand against the simulator behind the real drapi client.
func TestCommands(t *testing.T) {
	tests := []struct {
		name      string
		user      string
		channel   string
		text      string
		edit      func(*Config)
		wantType  string
		wantText  []string
		wantBlock slack.MessageBlockType // a block the answer must hold, when set
		wantEvent string                 // the audit event logged, when set
	}{
		{name: "empty", text: "", wantType: ephemeral, wantText: []string{"/dr pause &lt;id&gt;", "/dr status &lt;id&gt;", "/dr list"}},
		{name: "help", text: "help", wantType: ephemeral, wantText: []string{"/dr pause &lt;id&gt; --dry-run"}},
		{name: "unknown", text: "frobnicate", wantType: ephemeral, wantText: []string{"Unknown subcommand `frobnicate`", "/dr help"}},
		{name: "status", text: "status " + drsim.SeedRunning, wantType: ephemeral,
			wantText: []string{drsim.SeedRunning, "is *running*"}, wantEvent: "status"},
		{name: "status upper case id", text: "status " + strings.ToUpper(drsim.SeedRunning), wantType: ephemeral,
			wantText: []string{drsim.SeedRunning, "is *running*"}},
		{name: "status invalid id", text: "status ../../etc", wantType: ephemeral, wantText: []string{"is not a DR id"}},
		{name: "status no id", text: "status", wantType: ephemeral, wantText: []string{"Which DR?", "`/dr status e59d6b86-"}},
		{name: "status not found", text: "status " + unknownID, wantType: ephemeral, wantText: []string{"not found"}},
		{name: "list", text: "list", wantType: ephemeral,
			wantText: []string{"4 DR tasks"}, wantEvent: "list"},
		{name: "pause", text: "pause " + drsim.SeedRunning, wantType: inChannel,
			wantText: []string{"<@U1> asks to pause DR"}, wantBlock: slack.MBTAction, wantEvent: "requested"},
		{name: "pause already stopped", text: "pause " + drsim.SeedStopped, wantType: ephemeral,
			wantText: []string{"already *stopped*", "no pause sent"}, wantEvent: "noop"},
		{name: "pause not pausable", text: "pause " + drsim.SeedUnstart, wantType: ephemeral,
			wantText: []string{"is *unstart*"}, wantEvent: "refused"},
		{name: "pause not found", text: "pause " + unknownID, wantType: ephemeral,
			wantText: []string{"not found"}, wantEvent: "failed"},
		{name: "pause invalid id", text: "pause 42", wantType: ephemeral, wantText: []string{"is not a DR id"}},
		{name: "pause two ids", text: "pause " + drsim.SeedRunning + " " + drsim.SeedStopped, wantType: ephemeral,
			wantText: []string{"is not a DR id"}},
		{name: "dry run", text: "pause " + drsim.SeedRunning + " --dry-run", wantType: ephemeral,
			wantText: []string{"Dry run, nothing sent", "is *running*", "a card in this channel"}, wantEvent: "dry_run"},
		{name: "dry run first", text: "pause --dry-run " + drsim.SeedRunning, wantType: ephemeral,
			wantText: []string{"Dry run, nothing sent"}},
		{name: "dry run stopped", text: "pause " + drsim.SeedStopped + " --dry-run", wantType: ephemeral,
			wantText: []string{"already stopped"}},
		{name: "unauthorized user", user: "UX", text: "pause " + drsim.SeedRunning, wantType: ephemeral,
			wantText: []string{"UX", "DR_ALLOWED_USERS"}, wantEvent: "refused"},
		{name: "unauthorized user status", user: "UX", text: "status " + drsim.SeedRunning, wantType: ephemeral,
			wantText: []string{"UX", "DR_ALLOWED_USERS"}, wantEvent: "refused"},
		{name: "unauthorized user list", user: "UX", text: "list", wantType: ephemeral,
			wantText: []string{"UX", "DR_ALLOWED_USERS"}},
		{name: "unauthorized user dry run", user: "UX", text: "pause " + drsim.SeedRunning + " --dry-run", wantType: ephemeral,
			wantText: []string{"UX", "DR_ALLOWED_USERS"}},
		{name: "nobody allowed by default", text: "list", edit: func(c *Config) { c.AllowedUsers = nil },
			wantType: ephemeral, wantText: []string{"U1", "DR_ALLOWED_USERS"}},
		{name: "everyone allowed", user: "UX", text: "list", edit: func(c *Config) { c.AllowedUsers = allowAll },
			wantType: ephemeral, wantText: []string{"4 DR tasks"}},
		{name: "unauthorized channel", channel: "CX", text: "pause " + drsim.SeedRunning,
			edit:     func(c *Config) { c.AllowedChannels = allowOnly(chanID) },
			wantType: ephemeral, wantText: []string{"CX", "DR_ALLOWED_CHANNELS"}, wantEvent: "refused"},
		{name: "unauthorized id", text: "pause " + drsim.SeedRunning,
			edit:     func(c *Config) { c.AllowedIDs = allowOnly(drsim.SeedStopFailed) },
			wantType: ephemeral, wantText: []string{drsim.SeedRunning, "DR_ALLOWED_IDS"}, wantEvent: "refused"},
		{name: "unauthorized id dry run", text: "pause " + drsim.SeedRunning + " --dry-run",
			edit:     func(c *Config) { c.AllowedIDs = allowOnly(drsim.SeedStopFailed) },
			wantType: ephemeral, wantText: []string{"DR_ALLOWED_IDS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{})
			e := newEnv(t, dr, tt.edit)
			user, channel := tt.user, tt.channel
			if user == "" {
				user = "U1"
			}
			if channel == "" {
				channel = chanID
			}
			got := e.command(t, user, channel, tt.text)
			if got.ResponseType != tt.wantType {
				t.Errorf("got response_type %q; want %q", got.ResponseType, tt.wantType)
			}
			contains(t, "answer", got.Text, tt.wantText...)
			if tt.wantBlock != "" && !hasBlock(got, tt.wantBlock) {
				t.Errorf("got blocks %v; want a %s block", got.Blocks, tt.wantBlock)
			}
			if tt.wantEvent != "" && len(decisions(t, e.logs, tt.wantEvent)) != 1 {
				t.Errorf("got logs %s; want one %q decision", e.logs, tt.wantEvent)
			}
			if n := srv.Sim.Count(drsim.RoutePause); n != 0 {
				t.Errorf("got %d pause POSTs; want 0", n)
			}
			noPosts(t, e.slack)
		})
	}
}

func hasBlock(m slackMessage, typ slack.MessageBlockType) bool {
	for _, b := range m.Blocks {
		if b.BlockType() == typ {
			return true
		}
	}
	return false
}

// TestPauseWithoutConfirm: with DR_CONFIRM off the command is the approval, and the result
// arrives through response_url as a new message: Slack may not replace a slash command's answer.
func TestPauseWithoutConfirm(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{StoppingFor: 30 * time.Millisecond})
	e := newEnv(t, dr, func(c *Config) { c.Confirm = false })
	got := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
	if got.ResponseType != inChannel {
		t.Errorf("got response_type %q; want in_channel", got.ResponseType)
	}
	contains(t, "answer", got.Text, "Pausing DR", "requested by <@U1>")
	final, _ := e.slack.Until(t, func(p slacktest.Post) bool { return strings.Contains(p.Text, "is paused") })
	if final.Path != "/commands/cmd" || final.ReplaceOriginal || final.ResponseType != inChannel {
		t.Errorf("final: got %s replace_original=%v response_type=%q; want /commands/cmd, false, in_channel",
			final.Path, final.ReplaceOriginal, final.ResponseType)
	}
	contains(t, "final", final.JSON(), drsim.SeedRunning, "stopped", "DR_CONFIRM is off", "<@U1>", "X-Request-Id")
	if n := srv.Sim.Count(drsim.RoutePause); n != 1 {
		t.Errorf("got %d pause POSTs; want 1", n)
	}
	if len(decisions(t, e.logs, "approved")) != 1 || len(decisions(t, e.logs, "paused")) != 1 {
		t.Errorf("got logs %s; want one approved and one paused decision", e.logs)
	}
}

// TestCredentialsRejected: the DR API refusing the credentials is said in words.
func TestCredentialsRejected(t *testing.T) {
	srv, _ := newSim(t, drsim.Options{})
	cfg := srv.ClientConfig()
	cfg.Credentials.SecretKey = "wrong-secret-key"
	dr, err := drapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, dr, nil)
	got := e.command(t, "U1", chanID, "status "+drsim.SeedRunning)
	contains(t, "answer", got.Text, "rejected the credentials", "X-Request-Id")
	if strings.Contains(got.Text, "wrong-secret-key") {
		t.Errorf("answer contains the secret key")
	}
}

// TestSlowLookups: with a DR API that takes 5 s (here: until the test releases it), Slack is
// answered at once and the result arrives through response_url.
func TestSlowLookups(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"status", "status " + goldenID, "is *running*"},
		{"list", "list", "1 DR task"},
		{"dry run", "pause " + goldenID + " --dry-run", "Dry run, nothing sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			block := func(ctx context.Context) error {
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			dr := &fakeDR{
				get: func(ctx context.Context, id string) (*drapi.Detail, error) {
					if err := block(ctx); err != nil {
						return nil, err
					}
					return goldenDetail(), nil
				},
				list: func(ctx context.Context, f drapi.ListFilter) ([]drapi.Summary, error) {
					if err := block(ctx); err != nil {
						return nil, err
					}
					return []drapi.Summary{{ID: goldenID, Name: "dr-orders", Status: drapi.StatusRunning}}, nil
				},
			}
			e := newEnv(t, dr, func(c *Config) { c.LookupBudget = 50 * time.Millisecond })
			got := e.command(t, "U1", chanID, tt.text)
			contains(t, "answer", got.Text, "Working on it")
			close(release)
			p := e.slack.Next(t)
			if p.Path != "/commands/cmd" || p.ReplaceOriginal || p.ResponseType != ephemeral {
				t.Errorf("got %s replace_original=%v response_type=%q; want /commands/cmd, false, ephemeral",
					p.Path, p.ReplaceOriginal, p.ResponseType)
			}
			contains(t, "deferred answer", p.Text, tt.want)
		})
	}
}

// TestSlowCardLookup: the card does not wait for a slow DR API.
func TestSlowCardLookup(t *testing.T) {
	srv, dr := newSim(t, drsim.Options{})
	srv.Sim.Inject(drsim.Fault{Route: drsim.RouteDetail, Kind: drsim.FaultDelay, Delay: 5 * time.Second, Times: 1})
	e := newEnv(t, dr, func(c *Config) { c.LookupBudget = 50 * time.Millisecond })
	got := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
	if got.ResponseType != inChannel || !hasBlock(got, slack.MBTAction) {
		t.Fatalf("got %+v; want an in-channel card", got)
	}
	raw := renderJSON(t, got)
	contains(t, "card", raw, "unknown (DR API slow)")
}

func TestCommandMalformed(t *testing.T) {
	e := newEnv(t, &fakeDR{}, nil)
	w := e.do(t, e.bot.Commands(), signedRequest("/slack/commands", "text=%zz"))
	if w.Code != http.StatusBadRequest {
		t.Errorf("got status %d; want 400", w.Code)
	}
}

// TestCommandsNeverGuess: a word /dr does not know is named back, escaped and cut short, with
// the help, and nothing is looked up or paused; a near miss is never read as the nearest
// command, whatever it is one letter from.
func TestCommandsNeverGuess(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantText []string
	}{
		{name: "unpause is not pause", text: "unpause " + drsim.SeedRunning,
			wantText: []string{"Unknown subcommand `unpause`: nothing done."}},
		{name: "stop is not pause", text: "stop " + drsim.SeedRunning,
			wantText: []string{"Unknown subcommand `stop`"}},
		{name: "paus is not pause", text: "paus " + drsim.SeedRunning,
			wantText: []string{"Unknown subcommand `paus`"}},
		{name: "resumes is not resume", text: "resumes " + drsim.SeedStopped,
			wantText: []string{"Unknown subcommand `resumes`"}},
		{name: "misspelt option", text: "pause " + drsim.SeedRunning + " --dryrun",
			wantText: []string{"Unknown option `--dryrun` for `pause`: nothing done."}},
		{name: "misspelt option first", text: "pause --dryrun " + drsim.SeedRunning,
			wantText: []string{"Unknown option `--dryrun` for `pause`"}},
		{name: "dash for two hyphens", text: "pause " + drsim.SeedRunning + " —dry-run",
			wantText: []string{"Unknown option `—dry-run` for `pause`", "not two hyphens"}},
		{name: "status takes no options", text: "status " + drsim.SeedRunning + " --dry-run",
			wantText: []string{"Unknown option `--dry-run` for `status`"}},
		{name: "list takes no arguments", text: "list running",
			wantText: []string{"Unknown argument `running` for `list`"}},
		{name: "escaped", text: "<!channel>&co",
			wantText: []string{"Unknown subcommand `&lt;!channel&gt;&amp;co`"}},
		{name: "backquotes cannot end the span", text: "`x`<!here>",
			wantText: []string{"Unknown subcommand `'x'&lt;!here&gt;`"}},
		{name: "cut short", text: strings.Repeat("x", 200),
			wantText: []string{"Unknown subcommand `" + strings.Repeat("x", 39) + "…`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, dr := newSim(t, drsim.Options{})
			e := newEnv(t, dr, nil)
			got := e.command(t, "U1", chanID, tt.text)
			if got.ResponseType != ephemeral {
				t.Errorf("got response_type %q; want %q", got.ResponseType, ephemeral)
			}
			contains(t, "answer", got.Text, append(tt.wantText, "`/dr pause &lt;id&gt; --dry-run`", "`/dr help`")...)
			if strings.Contains(got.Text, "<!") || strings.Contains(got.Text, strings.Repeat("x", 41)) {
				t.Errorf("answer: got %q; want the word escaped and cut short", got.Text)
			}
			if n := srv.Sim.Count(drsim.RouteDetail) + srv.Sim.Count(drsim.RouteList) + srv.Sim.Count(drsim.RoutePause); n != 0 {
				t.Errorf("got %d DR API calls; want none", n)
			}
			noPosts(t, e.slack)
		})
	}
}
