package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/dws-dr/drpause/bot/slacktest"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// TestSimulatedIsVisible: with Config.Simulated, every message the bot sends says, once, that it
// is simulated, whichever way it leaves: the slash command's answer, response_url,
// chat.postMessage and chat.update, an alert card edited in place included.
func TestSimulatedIsVisible(t *testing.T) {
	// once checks that a message, its text and its blocks as sent, carries the note exactly once.
	once := func(t *testing.T, what, text, blocks string) {
		t.Helper()
		if n := strings.Count(text, simulatedNote); n != 1 {
			t.Errorf("%s: text holds the note %d times; want once: %q", what, n, text)
		}
		if n := strings.Count(blocks, simulatedNote); n != 1 {
			t.Errorf("%s: blocks hold the note %d times; want once: %s", what, n, blocks)
		}
	}

	t.Run("slash command and response_url", func(t *testing.T) {
		_, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
		e := newEnv(t, dr, func(c *Config) { c.Simulated = true })
		for _, text := range []string{"help", "status " + drsim.SeedRunning, "list", "pause not-an-id"} {
			m := e.command(t, "U1", chanID, text)
			once(t, "/dr "+text, m.Text, renderJSON(t, m.Blocks))
		}
		card := e.command(t, "U1", chanID, "pause "+drsim.SeedRunning)
		once(t, "card", card.Text, renderJSON(t, card.Blocks))
		e.click(t, "U2", card, drsim.SeedRunning, actionPause, "click")
		final, before := e.slack.Until(t, isFinal)
		for _, p := range append(before, final) {
			once(t, p.Path+" "+p.Text, p.Text, blocksOf(t, p))
		}
		contains(t, "final", final.JSON(), "is paused")
	})

	t.Run("web API and an alert card edited in place", func(t *testing.T) {
		_, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
		e := newEnv(t, dr, func(c *Config) { c.Simulated = true; c.BotToken = testToken })
		if err := e.bot.Notify(context.Background(), chanID, "storm refused"); err != nil {
			t.Fatal(err)
		}
		notified := e.slack.Next(t)
		once(t, "notify", notified.Text, blocksOf(t, notified))
		if err := e.bot.ProposePause(context.Background(), goldenProposal(drsim.SeedRunning, drsim.SeedStopFailed)); err != nil {
			t.Fatal(err)
		}
		posted := e.slack.Next(t)
		once(t, "alert card", posted.Text, blocksOf(t, posted))
		// The card comes back with the click, note included, and the answer is that card with
		// one block replaced: the note must not double.
		e.click(t, "U2", cardFromPost(t, posted), drsim.SeedRunning, actionPause, "click")
		final, before := e.slack.Until(t, isFinal)
		for _, p := range append(before, final) {
			once(t, p.Path+" "+p.Text, p.Text, blocksOf(t, p))
		}
	})
}

// blocksOf returns the blocks of a post as JSON: a Web API call's blocks field, or those of a
// response_url post's body.
func blocksOf(t *testing.T, p slacktest.Post) string {
	t.Helper()
	return renderJSON(t, p.Fields["blocks"])
}

// TestNotSimulatedSaysNothing: without Config.Simulated no message mentions the simulator.
func TestNotSimulatedSaysNothing(t *testing.T) {
	_, dr := newSim(t, drsim.Options{StoppingFor: drsim.Immediate})
	e := newEnv(t, dr, nil)
	m := e.command(t, "U1", chanID, "status "+drsim.SeedRunning)
	if s := renderJSON(t, m); strings.Contains(s, "Simulated") {
		t.Errorf("got %s; want no simulated note", s)
	}
}
