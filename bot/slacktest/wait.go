package slacktest

import (
	"fmt"
	"strings"
	"time"
)

// TB is the part of testing.TB the waits and checks need.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Changed returns a channel closed at the next post, for waiting without polling.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Posts returns every post received so far, oldest first, refused ones included.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// Timeline returns the messages of the channel view in the order they appeared, edits applied
// in place, thread replies and ephemeral messages included, deleted ones left out.
func (s *Server) Timeline() []Shown {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Shown
	for _, sh := range s.shown {
		if !sh.Deleted {
			out = append(out, sh.clone())
		}
	}
	return out
}

// Last returns the last message of channel outside threads: what the user who asked reads last
// in the channel, ephemeral messages included. ok is false when there is none.
func (s *Server) Last(channel string) (sh Shown, ok bool) {
	for _, m := range s.Timeline() {
		if m.Channel == channel && m.ThreadTS == "" {
			sh, ok = m, true
		}
	}
	return sh, ok
}

// Wait returns the first post, since the double started, for which match is true, waiting for
// it up to the wait timeout; what names it in the failure.
func (s *Server) Wait(t TB, what string, match func(Post) bool) Post {
	t.Helper()
	p, _, ok := s.await(0, match)
	if !ok {
		t.Fatalf("no %s in Slack within %s; got %s", what, s.cfg.WaitTimeout, s.describe())
	}
	return p
}

// Next returns the post after the one Next or Until returned last, waiting for it.
func (s *Server) Next(t TB) Post {
	t.Helper()
	p, _ := s.Until(t, func(Post) bool { return true })
	return p
}

// Until returns the first post after the one Next or Until returned last for which match is
// true, with the posts it passed over, waiting for it.
func (s *Server) Until(t TB, match func(Post) bool) (Post, []Post) {
	t.Helper()
	s.mu.Lock()
	from := s.cursor
	s.mu.Unlock()
	p, before, ok := s.await(from, match)
	if !ok {
		t.Fatalf("no matching post to Slack within %s after post #%d; got %s", s.cfg.WaitTimeout, from, s.describe())
	}
	s.mu.Lock()
	s.cursor = max(s.cursor, p.Seq)
	s.mu.Unlock()
	return p, before
}

// await waits for a post after the first from posts for which match is true.
func (s *Server) await(from int, match func(Post) bool) (Post, []Post, bool) {
	deadline := time.NewTimer(s.cfg.WaitTimeout)
	defer deadline.Stop()
	var before []Post
	for i := from; ; {
		s.mu.Lock()
		posts, changed := s.posts[min(i, len(s.posts)):], s.changed
		s.mu.Unlock()
		for _, p := range posts {
			i++
			if match(p) {
				return p, before, true
			}
			before = append(before, p)
		}
		select {
		case <-changed:
		case <-deadline.C:
			return Post{}, before, false
		}
	}
}

// describe lists what the double received, for failure messages.
func (s *Server) describe() string {
	posts := s.Posts()
	if len(posts) == 0 {
		return "nothing"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d posts:", len(posts))
	for _, p := range posts {
		b.WriteString("\n\t" + p.String())
	}
	return b.String()
}
