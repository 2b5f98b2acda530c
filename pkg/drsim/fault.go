package drsim

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind says how a Fault spoils an answer.
type FaultKind int

// The fault kinds. Unless said otherwise, a fault replaces the answer and the call has no effect.
const (
	// FaultDelay holds the request for Delay (in real time, ending early if the client gives
	// up), then serves it normally.
	FaultDelay FaultKind = iota + 1
	// FaultThrottle answers 429 APIG.0308 with a Retry-After header of RetryAfter.
	FaultThrottle
	// FaultError answers Status (default 500) with Code (default DWS.9999) and Msg.
	FaultError
	// FaultReset closes the connection without an answer.
	FaultReset
	// FaultMalformed answers 200 with truncated JSON.
	FaultMalformed
	// FaultHTML answers Status (default 502) with an HTML page, as a proxy in front might.
	FaultHTML
	// FaultOversized answers 200 with a JSON body of Size bytes (default 8 MiB).
	FaultOversized
	// FaultLost lets the call take effect (a pause does move the task to stopping), then loses
	// the answer: the connection is reset, or, when Status is set, Status with DWS.9999 is sent.
	FaultLost
	// FaultBusy answers 409 DWS.0011, DWS's answer while another operation is in progress on
	// the cluster (or it is faulty): "try again later".
	FaultBusy
	// FaultPausedFirst lets another client's pause of the same task be accepted just before this
	// request is served, which then is: a pause POST finds the task stopping and is refused for
	// its status, as when two instances both read running and both send a pause.
	FaultPausedFirst
	// FaultStartedFirst is FaultPausedFirst for a start: another client's start of the same task
	// is accepted just before this request is served, so a start POST finds the task starting
	// and is refused for its status, as when two instances both read stopped and both resume.
	FaultStartedFirst
)

// Fault is a rule that spoils the answers to matching requests. Faults are matched in the order
// they were injected, after authentication; the first that matches applies.
type Fault struct {
	Route Route // the endpoint it applies to; "" for all of them
	Kind  FaultKind
	// Times is how many requests it applies to; 0 means all, until ClearFaults.
	Times int

	Delay      time.Duration // FaultDelay
	RetryAfter time.Duration // FaultThrottle, sent in whole seconds rounded up
	Status     int           // FaultError, FaultHTML, FaultLost
	Code, Msg  string        // FaultError
	Size       int           // FaultOversized
}

// Inject adds faults after those already queued.
func (s *Sim) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// ClearFaults removes every queued fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault matching route and uses up one of its Times.
func (s *Sim) takeFault(route Route) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Route != "" && f.Route != route {
			continue
		}
		switch {
		case f.Times == 1:
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		case f.Times > 1:
			s.faults[i].Times--
		}
		return f, true
	}
	return Fault{}, false
}

func (s *Sim) applyFault(w http.ResponseWriter, r *http.Request, f Fault, serve http.HandlerFunc) {
	switch f.Kind {
	case FaultDelay:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		serve(w, r)
	case FaultThrottle:
		secs := int((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "APIG.0308", "The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute")
	case FaultError:
		code, msg := f.Code, f.Msg
		if code == "" {
			code = "DWS.9999"
		}
		if msg == "" {
			msg = "Internal error."
		}
		writeError(w, or(f.Status, http.StatusInternalServerError), code, msg)
	case FaultReset:
		reset(w)
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"disaster_recovery": {"id": "e59d6b86-90`)
	case FaultHTML:
		status := or(f.Status, http.StatusBadGateway)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html>\r\n<head><title>%[1]d %[2]s</title></head>\r\n<body>\r\n<center><h1>%[1]d %[2]s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
			status, http.StatusText(status))
	case FaultOversized:
		size := or(f.Size, 8<<20)
		const head, tail = `{"disaster_recovery": {"id": "e59d6b86-9072-46eb-a996-13f8b44994c1", "name": "`, `"}}`
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Content-Length", strconv.Itoa(max(size, len(head)+len(tail))))
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, head)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for n := size - len(head) - len(tail); n > 0; n -= len(chunk) {
			if _, err := w.Write(chunk[:min(n, len(chunk))]); err != nil {
				return // the client stopped reading, as it should
			}
		}
		fmt.Fprint(w, tail)
	case FaultLost:
		serve(&discard{h: make(http.Header)}, r)
		if f.Status == 0 {
			reset(w)
			return
		}
		writeError(w, f.Status, "DWS.9999", "Internal error.")
	case FaultBusy:
		writeError(w, http.StatusConflict, "DWS.0011",
			"Another operation is in progress on the instance, or the instance is faulty. Try again later.")
	case FaultPausedFirst:
		s.first(r.PathValue("id"), s.pause)
		serve(w, r)
	case FaultStartedFirst:
		s.first(r.PathValue("id"), s.start)
		serve(w, r)
	default:
		writeError(w, http.StatusInternalServerError, "DWS.9999", fmt.Sprintf("drsim: unknown fault kind %d", f.Kind))
	}
}

// first starts tr on DR task id, if it is there and its status allows, as another client would.
func (s *Sim) first(id string, tr transition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.find(id); t != nil {
		now := s.now()
		t.advance(now)
		if tr.allowed(t.d.Status) {
			t.enter(tr, now)
		}
	}
}

// reset drops the connection without an answer, as a lost network path or a crashed backend does.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): the net/http way to abort a response is this panic,
		// which the server recovers from without logging.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // send RST rather than FIN, like a real reset
	}
	conn.Close()
}

// discard is a ResponseWriter whose answer goes nowhere, for FaultLost.
type discard struct {
	h   http.Header
	buf bytes.Buffer
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return d.buf.Write(b) }
func (d *discard) WriteHeader(int)             {}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
