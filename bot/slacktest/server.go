package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// How a message reached Slack: Post.Via and Shown.Via.
const (
	ViaResponseURL = "response_url"
	ViaPostMessage = "chat.postMessage"
	ViaUpdate      = "chat.update"
	ViaAnswer      = "answer"  // the HTTP answer to a slash command the double sent
	ViaEarlier     = "earlier" // a message the double never saw posted, met first in a click
)

// Config configures a Server. The zero value is a lenient double signing with LocalSecret.
type Config struct {
	SigningSecret string           // what Command and Click sign with; default LocalSecret
	Rules         Rules            // which of Slack's rules to apply; zero: none
	Now           func() time.Time // the clock of signatures and of the 3 s rule; default time.Now
	WaitTimeout   time.Duration    // how long Wait, Next and Until wait; default 20 s
	// CountOnly keeps no message, only how many came: a benchmark's double that neither grows
	// nor spends time decoding. Rules need the messages and are not applied.
	CountOnly bool
	// Token is the bot token the workspace issued: a Web API call with another is refused with
	// invalid_auth. Empty: any token is taken.
	Token string
	// Scopes are the bot token's scopes, for the methods that need one (see Channel); nil grants
	// every scope.
	Scopes []string
}

// DefaultWaitTimeout bounds every wait for a message: long enough for a loaded machine, short
// enough to fail fast.
const DefaultWaitTimeout = 20 * time.Second

// Server is a local Slack. It is safe for concurrent use.
type Server struct {
	cfg     Config
	srv     *httptest.Server
	methods map[string]method

	mu         sync.Mutex
	posts      []Post
	shown      []*Shown
	count      int
	uses       map[string]int // response_url path: accepted posts
	original   map[string]*Shown
	channels   map[string]string // response_url path: the channel it posts in
	violations []Violation
	fault      func(Post) *Fault
	changed    chan struct{} // closed and replaced at every post
	cursor     int           // posts Next and Until have returned
	lastTS     int
	revoked    bool               // RevokeToken
	convs      map[string]Channel // the workspace's channels, by id
}

// method is one Web API method: it acts on the call's fields and returns Slack's answer.
type method func(s *Server, p *Post) map[string]any

// NewServer starts a double on a loopback port. Close it when done.
func NewServer(cfg Config) *Server {
	if cfg.SigningSecret == "" {
		cfg.SigningSecret = LocalSecret
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = DefaultWaitTimeout
	}
	s := &Server{
		cfg: cfg,
		// A method added here is served and recorded like these.
		methods: map[string]method{
			ViaPostMessage:          (*Server).postMessage,
			ViaUpdate:               (*Server).update,
			MethodAuthTest:          (*Server).authTest,
			MethodConversationsInfo: (*Server).conversationsInfo,
		},
		uses:     make(map[string]int),
		original: make(map[string]*Shown),
		channels: make(map[string]string),
		changed:  make(chan struct{}),
		convs:    map[string]Channel{DefaultChannel: {ID: DefaultChannel, Name: DefaultChannelName, Member: true}},
	}
	mux := http.NewServeMux()
	// Slack's own response_urls: hooks.slack.com/commands/… for slash commands,
	// hooks.slack.com/actions/… for clicks.
	mux.HandleFunc("POST /commands/", s.serveResponseURL)
	mux.HandleFunc("POST /actions/", s.serveResponseURL)
	mux.HandleFunc("POST /api/{method}", s.serveAPI)
	s.srv = httptest.NewServer(mux)
	return s
}

// Start starts a double that closes when t ends.
func Start(t interface{ Cleanup(func()) }, cfg Config) *Server {
	s := NewServer(cfg)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the double down, waiting for the posts in progress.
func (s *Server) Close() { s.srv.Close() }

// URL is the double's base URL: a recorded event's https://hooks.slack.com/ becomes URL()+"/".
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the SLACK_API_URL of this double.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns the response_url of a slash command, named name.
func (s *Server) ResponseURL(name string) string { return s.srv.URL + "/commands/" + name }

// ActionURL returns the response_url of a click, named name. A click sent with Click binds it
// to the clicked message; unbound, replace_original replaces what it posted before.
func (s *Server) ActionURL(name string) string { return s.srv.URL + "/actions/" + name }

// Fault is how the double answers a post instead of as Slack would.
type Fault struct {
	Status     int           // HTTP status; 0 means 200
	RetryAfter time.Duration // sent as Retry-After in whole seconds, when positive
	Body       string        // the body; "" means Slack's usual one for the status
	Hang       bool          // answer nothing until the client gives up
}

// SetFaults makes the double ask f about every post it receives, before any rule; f returns
// nil to let the post through. nil removes the faults.
func (s *Server) SetFaults(f func(Post) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Throttle answers the next n posts that came via (ViaResponseURL, ViaPostMessage or
// ViaUpdate) with 429 and Retry-After, as Slack's rate limits do.
func (s *Server) Throttle(via string, n int, retryAfter time.Duration) {
	var mu sync.Mutex
	left := n
	s.SetFaults(func(p Post) *Fault {
		mu.Lock()
		defer mu.Unlock()
		if p.Via != via || left == 0 {
			return nil
		}
		left--
		return &Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter}
	})
}

// Violation is one rule of Slack the bot broke.
type Violation struct {
	Rule   string // RuleAnswerIn3s, RuleFiveUses or RuleUpdateOwnOnly
	Detail string
}

// The rules a Violation names, as Rules calls them.
const (
	RuleAnswerIn3s    = "AnswerIn3s"
	RuleFiveUses      = "FiveUses"
	RuleUpdateOwnOnly = "UpdateOwnOnly"
)

func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// Violations returns the rules of Slack the bot broke, in order, whether or not the double
// applied them.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// CheckNoViolations fails t for each rule of Slack the bot broke, except the rules named in
// except: a test may leave one out on purpose, and RuleAnswerIn3s depends on how loaded the
// machine running the test is.
func (s *Server) CheckNoViolations(t TB, except ...string) {
	t.Helper()
	for _, v := range s.Violations() {
		if !slices.Contains(except, v.Rule) {
			t.Errorf("the bot broke a rule of Slack: %v", v)
		}
	}
}

func (s *Server) violate(rule, format string, args ...any) {
	s.violations = append(s.violations, Violation{Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

// serveResponseURL takes a post to a response_url.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	p := Post{Via: ViaResponseURL, Path: r.URL.Path}
	p.Name = strings.TrimPrefix(strings.TrimPrefix(p.Path, "/commands/"), "/actions/")
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if s.cfg.CountOnly {
		s.countOnly()
		io.WriteString(w, "ok")
		return
	}
	if err := json.Unmarshal(raw, &p.Fields); err != nil {
		p.Status, p.Error = http.StatusBadRequest, "invalid_payload"
		s.record(p)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	p.fill()
	if f := s.faultFor(p); f != nil {
		s.answerFault(w, r, p, f, false)
		return
	}

	s.mu.Lock()
	if s.uses[p.Path] >= ResponseURLUses {
		s.violate(RuleFiveUses, "post %d to the response_url %s: Slack takes %d", s.uses[p.Path]+1, p.Name, ResponseURLUses)
		if s.cfg.Rules.FiveUses {
			p.Status, p.Error = http.StatusNotFound, "used_url"
			s.recordLocked(p)
			s.mu.Unlock()
			http.Error(w, "used_url", http.StatusNotFound)
			return
		}
	}
	s.uses[p.Path]++
	s.showResponse(&p)
	p.Status = http.StatusOK
	s.recordLocked(p)
	s.mu.Unlock()
	io.WriteString(w, "ok")
}

// showResponse shows a response_url post: it replaces the original message when Slack would,
// and is a new message otherwise. s.mu is held.
func (s *Server) showResponse(p *Post) {
	orig := s.original[p.Path]
	if p.DeleteOriginal {
		if orig != nil {
			orig.Deleted = true
		}
		return
	}
	command := strings.HasPrefix(p.Path, "/commands/")
	if p.ReplaceOriginal && orig != nil && !orig.Deleted && !(command && s.cfg.Rules.CommandPostsAnew) {
		orig.edit(ViaResponseURL, p.Fields)
		p.TS, p.Channel = orig.TS, orig.Channel
		return
	}
	sh := s.newShown(ViaResponseURL, s.channels[p.Path], "", p.Fields)
	sh.Ephemeral = p.ResponseType != "in_channel"
	p.TS, p.Channel = sh.TS, sh.Channel
	if orig == nil {
		// A response_url whose message the double never saw replaces what it posted first.
		s.original[p.Path] = sh
	}
}

// serveAPI takes a Web API call.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	if s.cfg.CountOnly {
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		s.countOnly()
		writeJSON(w, map[string]any{"ok": true, "channel": "C0LOCAL", "ts": "1795600900.000001"})
		return
	}
	p := Post{Via: name, Path: r.URL.Path}
	token, err := p.readCall(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	act, ok := s.methods[name]
	if !ok {
		p.Status, p.Error = http.StatusOK, "unknown_method"
		s.record(p)
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	if f := s.faultFor(p); f != nil {
		s.answerFault(w, r, p, f, true)
		return
	}
	if token == "" {
		p.Status, p.Error = http.StatusOK, "not_authed"
		s.record(p)
		writeJSON(w, map[string]any{"ok": false, "error": "not_authed"})
		return
	}
	s.mu.Lock()
	answer := s.authorize(token)
	if answer == nil {
		answer = act(s, &p)
	}
	p.Status = http.StatusOK
	if e, _ := answer["error"].(string); answer["ok"] != true {
		p.Error = e
	}
	s.recordLocked(p)
	s.mu.Unlock()
	writeJSON(w, answer)
}

// postMessage is chat.postMessage: a new message the bot owns. s.mu is held.
func (s *Server) postMessage(p *Post) map[string]any {
	if a := s.needScope("chat:write"); a != nil {
		return a
	}
	if p.Channel == "" {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	sh := s.newShown(ViaPostMessage, p.Channel, p.ThreadTS, p.Fields)
	sh.ByBot = true
	p.TS = sh.TS
	return map[string]any{"ok": true, "channel": sh.Channel, "ts": sh.TS}
}

// update is chat.update: an edit of a message the bot posted itself. s.mu is held.
func (s *Server) update(p *Post) map[string]any {
	if a := s.needScope("chat:write"); a != nil {
		return a
	}
	sh := s.find(p.Channel, p.TS)
	switch {
	case sh == nil:
		s.violate(RuleUpdateOwnOnly, "chat.update of %s in %s: no such message", p.TS, p.Channel)
		if s.cfg.Rules.UpdateOwnOnly {
			return map[string]any{"ok": false, "error": "message_not_found"}
		}
		// Lenient: a message from before the double started, such as a card a test built.
		sh = s.newShown(ViaEarlier, p.Channel, "", nil)
		sh.TS = p.TS
	case !sh.ByBot:
		s.violate(RuleUpdateOwnOnly, "chat.update of %s in %s: not posted by the bot with chat.postMessage (it came %s)", p.TS, p.Channel, sh.Via)
		if s.cfg.Rules.UpdateOwnOnly {
			return map[string]any{"ok": false, "error": "cant_update_message"}
		}
	}
	sh.edit(ViaUpdate, p.Fields)
	return map[string]any{"ok": true, "channel": sh.Channel, "ts": sh.TS}
}

func (s *Server) faultFor(p Post) *Fault {
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(p)
}

func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, p Post, f *Fault, api bool) {
	p.Status = max(f.Status, http.StatusOK)
	p.Error = "fault"
	if f.Hang {
		p.Status, p.Error = 0, "hang"
	}
	s.record(p)
	if f.Hang {
		<-r.Context().Done()
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	}
	body := f.Body
	switch {
	case body != "":
	case api && p.Status == http.StatusTooManyRequests:
		body = `{"ok":false,"error":"ratelimited"}`
	case api && p.Status == http.StatusOK:
		body = `{"ok":true,"channel":"` + p.Channel + `","ts":"` + p.TS + `"}`
	case p.Status == http.StatusOK:
		body = "ok"
	default:
		body = http.StatusText(p.Status)
	}
	if api {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(p.Status)
	io.WriteString(w, body)
}

// newShown adds a message to the channel view. s.mu is held.
func (s *Server) newShown(via, channel, thread string, fields map[string]any) *Shown {
	s.lastTS++
	sh := &Shown{Via: via, Channel: channel, ThreadTS: thread, TS: fmt.Sprintf("1795600900.%06d", s.lastTS)}
	sh.set(fields)
	s.shown = append(s.shown, sh)
	return sh
}

// find returns the message channel/ts, or nil. s.mu is held.
func (s *Server) find(channel, ts string) *Shown {
	for _, sh := range s.shown {
		if sh.TS == ts && (channel == "" || sh.Channel == channel) {
			return sh
		}
	}
	return nil
}

func (s *Server) countOnly() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.notifyLocked()
}

func (s *Server) record(p Post) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(p)
}

func (s *Server) recordLocked(p Post) {
	p.Seq = len(s.posts) + 1
	s.posts = append(s.posts, p)
	s.count++
	s.notifyLocked()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Reset forgets every post and message, and every use of a response_url: a long load test
// measures the bot's heap, not the double's.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts, s.shown, s.cursor = nil, nil, 0
	clear(s.uses)
	clear(s.original)
	clear(s.channels)
}

// Count returns how many posts came via via ("" for all), refused ones included.
func (s *Server) Count(via string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if via == "" {
		return s.count
	}
	n := 0
	for _, p := range s.posts {
		if p.Via == via {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
