package bot

import (
	"strings"

	"github.com/slack-go/slack"
)

// simulatedBlockID names the context block saying a message comes from a DR_SIMULATE
// deployment.
const simulatedBlockID = "dr_simulated"

// simulatedNote is what every message of a DR_SIMULATE deployment says, so that a copied local
// configuration on a real workspace never reads as a real pause.
const simulatedNote = ":test_tube: Simulated (DR_SIMULATE): no real DR was touched."

// markSimulated returns m saying that it is simulated: a context block under its blocks, and
// the same note ending its text, which notifications show. Each is added only where missing: a
// card that comes back with a click, and is sent again edited, holds its block already.
func markSimulated(m slackMessage) slackMessage {
	blocks := m.Blocks
	if len(blocks) == 0 {
		// Without blocks Slack shows the text; with them, only the blocks.
		blocks = []slack.Block{section(m.Text)}
	}
	if !strings.Contains(m.Text, simulatedNote) {
		m.Text += "\n" + simulatedNote
	}
	for _, blk := range blocks {
		if blk.ID() == simulatedBlockID {
			return m
		}
	}
	n := min(len(blocks), maxBlocks-1)
	m.Blocks = append(blocks[:n:n], slack.NewContextBlock(simulatedBlockID, mrkdwn(simulatedNote)))
	return m
}

// slackMessage is a message as Slack takes it in a slash command answer and on response_url.
// chat.postMessage and chat.update take the same text and blocks.
type slackMessage struct {
	ResponseType    string        `json:"response_type,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
}

const (
	inChannel = slack.ResponseTypeInChannel
	ephemeral = slack.ResponseTypeEphemeral
)

// Slack's limits, from its Block Kit reference.
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxBlocks      = 50
	maxConfirmText = 300
)

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxSectionText), false, false)
}

func plain(text string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(text, max), false, false)
}

func section(text string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(text), nil, nil) }

func fields(pairs ...string) *slack.SectionBlock {
	var fs []*slack.TextBlockObject
	for i := 0; i+1 < len(pairs) && len(fs) < 10; i += 2 {
		fs = append(fs, slack.NewTextBlockObject(slack.MarkdownType,
			truncate("*"+pairs[i]+"*\n"+pairs[i+1], maxFieldText), false, false))
	}
	return slack.NewSectionBlock(nil, fs, nil)
}

func contextLine(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

func textMessage(responseType, text string) slackMessage {
	return slackMessage{ResponseType: responseType, Text: text, Blocks: []slack.Block{section(text)}}
}
