// Package slackdouble is a local stand-in for Slack's side of a conversation with the bot: it
// receives response_url posts and the Web API calls chat.postMessage and chat.update, records
// them as messages, and renders Block Kit as a person reads it. The demo and the tests use it.
package slackdouble

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// Message is one message the bot sent to Slack.
type Message struct {
	Via    string          // "response_url", "chat.postMessage" or "chat.update"
	Path   string          // the request path it arrived on
	Fields map[string]any  // the decoded JSON or form fields
	Raw    json.RawMessage // the JSON of the message (text, blocks, ...)
}

// Server records what the bot sends. It is safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []Message
	next chan struct{} // closed and replaced on every message
	ts   atomic.Int64
}

// Start serves a double on a loopback port until Close.
func Start() *Server {
	s := &Server{next: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /response/", s.responseURL)
	mux.HandleFunc("POST /api/chat.postMessage", s.webAPI("chat.postMessage"))
	mux.HandleFunc("POST /api/chat.update", s.webAPI("chat.update"))
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// ResponseURL returns a response_url that posts to this double.
func (s *Server) ResponseURL(name string) string { return s.srv.URL + "/response/" + name }

// APIURL is the SLACK_API_URL of this double.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// URL is the double's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Messages returns the messages received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Changed returns a channel closed at the next message, for waiting without polling.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.next)
	s.next = make(chan struct{})
}

func (s *Server) responseURL(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		http.Error(w, "want JSON", http.StatusBadRequest)
		return
	}
	s.record(Message{Via: "response_url", Path: r.URL.Path, Fields: fields, Raw: raw})
	w.Write([]byte("ok"))
}

// webAPI answers the way Slack's Web API does: ok:true with a channel and a message ts.
func (s *Server) webAPI(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// slack-go sends the token as a form field; Slack also takes a Bearer header.
		if r.PostForm.Get("token") == "" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "not_authed"})
			return
		}
		fields := make(map[string]any, len(r.Form))
		for k := range r.PostForm {
			if k != "token" { // keep the token out of recorded messages
				fields[k] = r.PostForm.Get(k)
			}
		}
		// slack-go sends blocks as a JSON string field; decode it so rendering sees blocks.
		if b, ok := fields["blocks"].(string); ok {
			var blocks any
			if json.Unmarshal([]byte(b), &blocks) == nil {
				fields["blocks"] = blocks
			}
		}
		raw, _ := json.Marshal(fields)
		s.record(Message{Via: method, Path: r.URL.Path, Fields: fields, Raw: raw})
		ts := fields["ts"]
		if ts == nil || ts == "" {
			ts = fmt.Sprintf("1795600900.%06d", s.ts.Add(1))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": fields["channel"], "ts": ts})
	}
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
	blocks, _ := fields["blocks"].([]any)
	for _, blk := range blocks {
		m, _ := blk.(map[string]any)
		if m["type"] != "actions" {
			continue
		}
		els, _ := m["elements"].([]any)
		for _, e := range els {
			em, _ := e.(map[string]any)
			id, _ := em["action_id"].(string)
			v, _ := em["value"].(string)
			out[id] = v
		}
	}
	return out
}
