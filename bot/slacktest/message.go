package slacktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Post is one request the bot sent to Slack, and how the double answered it.
type Post struct {
	Seq  int    // 1 for the first post the double received
	Via  string // ViaResponseURL, or the Web API method: ViaPostMessage, ViaUpdate, MethodAuthTest, …
	Path string // the request path: /commands/<name>, /actions/<name> or /api/<method>
	Name string // the name of a response_url (ResponseURL, ActionURL)

	Channel  string // the channel it posted in or edited, when known
	TS       string // the message it posted or edited, when known
	ThreadTS string // chat.postMessage in a thread

	Text            string
	ResponseType    string // response_url: "in_channel" or "ephemeral" (the default)
	ReplaceOriginal bool
	DeleteOriginal  bool
	// Fields are the decoded JSON body of a response_url post, or the form of a Web API call
	// (blocks decoded, the token left out).
	Fields map[string]any

	Status int    // the HTTP status answered; 0 when the double hung up (Fault.Hang)
	Error  string // why Slack refused it ("used_url", "cant_update_message", "fault", …); "" when taken
}

// OK reports whether Slack took the post.
func (p Post) OK() bool { return p.Error == "" }

// JSON returns the post's fields as JSON, with <, > and & as themselves, so a test can look
// for <@U1> or an escaped &lt;!channel&gt;.
func (p Post) JSON() string { return unescapedJSON(p.Fields) }

// Render returns the post's message as a person reads it (see Render).
func (p Post) Render() string { return Render(p.Fields) }

// Buttons returns the action_id and value of each button of the post's message.
func (p Post) Buttons() map[string]string { return Buttons(p.Fields) }

func (p Post) String() string {
	s := fmt.Sprintf("#%d %s %s %q", p.Seq, p.Via, p.Path, p.Text)
	if p.Error != "" {
		s += " refused: " + p.Error
	}
	return s
}

// fill sets the named fields from p.Fields.
func (p *Post) fill() {
	str := func(k string) string { v, _ := p.Fields[k].(string); return v }
	flag := func(k string) bool {
		switch v := p.Fields[k].(type) {
		case bool:
			return v
		case string:
			return v == "true"
		}
		return false
	}
	p.Text, p.ResponseType = str("text"), str("response_type")
	p.ReplaceOriginal, p.DeleteOriginal = flag("replace_original"), flag("delete_original")
	if p.Via != ViaResponseURL {
		p.Channel, p.TS, p.ThreadTS = str("channel"), str("ts"), str("thread_ts")
	}
}

// readCall reads a Web API call, a form (as slack-go sends) or JSON with a bearer token, into
// p.Fields, and returns the token.
func (p *Post) readCall(r *http.Request) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return "", errors.New("cannot read body")
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.Fields = map[string]any{}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		if err := json.Unmarshal(raw, &p.Fields); err != nil {
			return "", errors.New("invalid_json")
		}
	} else {
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return "", errors.New("invalid_form_data")
		}
		for k := range form {
			p.Fields[k] = form.Get(k)
		}
		// slack-go sends blocks as a JSON string field; decode it so rendering sees blocks.
		if b, ok := p.Fields["blocks"].(string); ok {
			var blocks any
			if json.Unmarshal([]byte(b), &blocks) == nil {
				p.Fields["blocks"] = blocks
			}
		}
	}
	if t, ok := p.Fields["token"].(string); ok {
		token = t
	}
	delete(p.Fields, "token") // keep the token out of what is recorded
	p.fill()
	return token, nil
}

// Shown is a message as the people in a channel see it.
type Shown struct {
	Channel   string
	TS        string
	ThreadTS  string // set on a reply in a thread
	Ephemeral bool   // only the user who asked sees it
	Deleted   bool
	Text      string
	Fields    map[string]any // text and blocks
	Via       string         // how it appeared: ViaAnswer, ViaResponseURL, ViaPostMessage, ViaEarlier
	Edits     []string       // how it was changed since: ViaResponseURL or ViaUpdate, in order
	ByBot     bool           // posted with chat.postMessage, so chat.update may edit it
}

// Render returns the message as a person reads it (see Render).
func (sh Shown) Render() string { return Render(sh.Fields) }

// Buttons returns the action_id and value of each button of the message.
func (sh Shown) Buttons() map[string]string { return Buttons(sh.Fields) }

func (sh Shown) String() string {
	return fmt.Sprintf("%s %s (%s%s) %q", sh.Channel, sh.TS, sh.Via, strings.Join(append([]string{""}, sh.Edits...), " then "), sh.Text)
}

// set replaces the message's content with the text and blocks of fields.
func (sh *Shown) set(fields map[string]any) {
	sh.Fields = map[string]any{}
	for _, k := range []string{"text", "blocks"} {
		if v, ok := fields[k]; ok {
			sh.Fields[k] = v
		}
	}
	sh.Text, _ = sh.Fields["text"].(string)
}

func (sh *Shown) edit(via string, fields map[string]any) {
	sh.set(fields)
	sh.Edits = append(sh.Edits, via)
}

func (sh *Shown) clone() Shown {
	c := *sh
	c.Edits = append([]string(nil), sh.Edits...)
	return c
}

// Render writes a message's blocks as a person reads them: headers, section and context texts,
// fields, and buttons as [Label]. Without blocks it shows the text.
func Render(fields map[string]any) string {
	var b strings.Builder
	blocks, _ := fields["blocks"].([]any)
	for _, blk := range blocks {
		m, _ := blk.(map[string]any)
		switch m["type"] {
		case "header":
			fmt.Fprintf(&b, "== %s ==\n", text(m["text"]))
		case "section":
			if t := text(m["text"]); t != "" {
				fmt.Fprintf(&b, "%s\n", t)
			}
			fs, _ := m["fields"].([]any)
			for _, f := range fs {
				fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(text(f), "\n", " "))
			}
		case "context":
			els, _ := m["elements"].([]any)
			var parts []string
			for _, e := range els {
				if t := text(e); t != "" {
					parts = append(parts, t)
				}
			}
			fmt.Fprintf(&b, "  (%s)\n", strings.Join(parts, " | "))
		case "actions":
			els, _ := m["elements"].([]any)
			var parts []string
			for _, e := range els {
				em, _ := e.(map[string]any)
				parts = append(parts, "["+text(em["text"])+"]")
			}
			fmt.Fprintf(&b, "%s\n", strings.Join(parts, " "))
		case "divider":
			b.WriteString("----\n")
		}
	}
	if b.Len() == 0 {
		if t, ok := fields["text"].(string); ok {
			b.WriteString(t + "\n")
		}
	}
	return b.String()
}

// text returns the text of a text object (or of a string).
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		s, _ := t["text"].(string)
		return s
	}
	return ""
}

// Buttons returns the action_id and value of every button in a message's blocks.
func Buttons(fields map[string]any) map[string]string {
	out := map[string]string{}
	for _, b := range buttons(fields) {
		out[b.actionID] = b.value
	}
	return out
}

type button struct{ blockID, actionID, value string }

func buttons(fields map[string]any) []button {
	var out []button
	blocks, _ := fields["blocks"].([]any)
	for _, blk := range blocks {
		m, _ := blk.(map[string]any)
		if m["type"] != "actions" {
			continue
		}
		blockID, _ := m["block_id"].(string)
		els, _ := m["elements"].([]any)
		for _, e := range els {
			em, _ := e.(map[string]any)
			id, _ := em["action_id"].(string)
			v, _ := em["value"].(string)
			out = append(out, button{blockID: blockID, actionID: id, value: v})
		}
	}
	return out
}

// unescapedJSON marshals v without escaping <, > and &.
func unescapedJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
