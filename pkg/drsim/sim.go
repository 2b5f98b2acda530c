package drsim

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// Route names one endpoint of the simulated API, for counters and faults.
type Route string

// The endpoints the simulator serves.
const (
	RouteDetail Route = "detail" // GET /v2/{project_id}/disaster-recovery/{id}
	RouteList   Route = "list"   // GET /v2/{project_id}/disaster-recoveries
	RoutePause  Route = "pause"  // POST /v2/{project_id}/disaster-recovery/{id}/pause
	RouteStart  Route = "start"  // POST /v2/{project_id}/disaster-recovery/{id}/start
)

// DefaultTransition is how long a task stays stopping or starting when Options leave it zero.
const DefaultTransition = 3 * time.Second

// Immediate, as Options.StoppingFor or StartingFor, ends the transition on the next read:
// the pause answer itself never shows the end, as with the real API.
const Immediate time.Duration = -1

// DefaultRefusalCode is the error_code of the 400 the simulator answers to a pause or start the
// task's status does not allow, unless Options.RefusalCode says otherwise. UNVERIFIED: DWS
// documents no code for it (the pause API lists 400, 401, 403, 404, 500 and 503, and DWS's one
// 409, DWS.0011, means busy); DWS.0001, its generic "bad parameter", is a guess, and any other
// code must be handled alike, which is why it can be changed.
const DefaultRefusalCode = "DWS.0001"

// Options configure a Sim. The zero value serves ProjectID to LocalCredentials with the real
// clock and DefaultTransition.
type Options struct {
	ProjectID string // default ProjectID
	// Credentials are the only ones accepted; default LocalCredentials(). When SecurityToken is
	// set, requests must carry it in X-Security-Token, as with temporary credentials.
	Credentials drapi.Credentials
	// StoppingFor and StartingFor are how long pause and start leave a task in stopping and
	// starting: zero means DefaultTransition, Immediate means until the next read.
	StoppingFor, StartingFor time.Duration
	// Now is the clock for transitions, seeded times and the X-Sdk-Date skew check; nil means
	// time.Now. FaultDelay waits in real time whatever this clock says.
	Now func() time.Time
	// RefusalCode is the error_code of the 400 refusing a pause or start in a status that does
	// not allow it; default DefaultRefusalCode.
	RefusalCode string
}

// Sim is a simulated DWS disaster-recovery API over in-memory DR tasks. It is an http.Handler,
// safe for concurrent use; its other methods let tests steer it and observe what it received.
type Sim struct {
	projectID    string
	creds        drapi.Credentials
	pause, start transition
	now          func() time.Time
	refusalCode  string
	mux          *http.ServeMux

	mu     sync.Mutex
	tasks  []*task // in creation order, the order the list call answers in
	faults []Fault
	counts map[Route]int
}

// task is one DR task and the transition it is in, if any.
type task struct {
	d            *detail
	lastDisaster string
	until        time.Time    // when the current stopping/starting ends
	end          drapi.Status // the status it ends in
	outcome      drapi.Status // if set, the end of the current or next transition instead of the usual one
}

// New returns a Sim seeded with the tasks named by the Seed constants.
func New(opts Options) *Sim {
	s := &Sim{
		projectID: opts.ProjectID,
		creds:     opts.Credentials,
		pause: transition{name: "pause", allowed: drapi.Status.Pausable,
			via: drapi.StatusStopping, end: drapi.StatusStopped, lasts: lasting(opts.StoppingFor)},
		start: transition{name: "start", allowed: drapi.Status.Startable,
			via: drapi.StatusStarting, end: drapi.StatusRunning, lasts: lasting(opts.StartingFor)},
		now:         opts.Now,
		refusalCode: opts.RefusalCode,
		counts:      make(map[Route]int),
	}
	if s.refusalCode == "" {
		s.refusalCode = DefaultRefusalCode
	}
	if s.projectID == "" {
		s.projectID = ProjectID
	}
	if s.creds == (drapi.Credentials{}) {
		s.creds = LocalCredentials()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.tasks = seed(s.projectID, s.now())
	for _, t := range s.tasks {
		syncClusters(t.d)
	}
	s.mux = s.routes()
	return s
}

// transition is an operation that takes a task through a status on the way (via) to another
// (end): a pause or a start.
type transition struct {
	name     string                  // "pause" or "start", as the refusal names it
	allowed  func(drapi.Status) bool // the statuses it may be sent from
	via, end drapi.Status
	lasts    time.Duration // how long the task stays in via
}

// lasting is how long a transition configured as d lasts.
func lasting(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultTransition
	case d < 0:
		return 0
	}
	return d
}

// ProjectID returns the project id the simulator serves.
func (s *Sim) ProjectID() string { return s.projectID }

// Count returns how many requests reached route so far, whether or not they were authenticated
// or hit a fault.
func (s *Sim) Count(route Route) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// Status returns the status of DR task id as a detail call would see it now.
func (s *Sim) Status(id string) (drapi.Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.find(id)
	if t == nil {
		return "", false
	}
	t.advance(s.now())
	return t.d.Status, true
}

// SetStatus forces the status of DR task id. Stopping and starting then run their course as if
// just entered; any other status stays until a call changes it.
func (s *Sim) SetStatus(id string, st drapi.Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.find(id)
	if t == nil {
		return fmt.Errorf("drsim: set status: unknown disaster recovery id %q", id)
	}
	switch st {
	case s.pause.via:
		t.enter(s.pause, s.now())
	case s.start.via:
		t.enter(s.start, s.now())
	default:
		t.d.Status, t.until, t.end = st, time.Time{}, ""
		syncClusters(t.d)
	}
	return nil
}

// SetOutcome makes the current or next stopping or starting of DR task id end in st (for
// example stop_failed, start_failed or abnormal) instead of stopped or running. It applies once.
func (s *Sim) SetOutcome(id string, st drapi.Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.find(id)
	if t == nil {
		return fmt.Errorf("drsim: set outcome: unknown disaster recovery id %q", id)
	}
	if !t.until.IsZero() {
		t.end = st
		return nil
	}
	t.outcome = st
	return nil
}

// find returns the task with id, or nil. s.mu must be held.
func (s *Sim) find(id string) *task {
	i := slices.IndexFunc(s.tasks, func(t *task) bool { return t.d.ID == id })
	if i < 0 {
		return nil
	}
	return s.tasks[i]
}

// enter starts tr at now: the task goes to tr.via, and ends in tr.end (or a preset outcome)
// after tr.lasts.
func (t *task) enter(tr transition, now time.Time) {
	end := tr.end
	if t.outcome != "" {
		end, t.outcome = t.outcome, ""
	}
	t.d.Status, t.end, t.until = tr.via, end, now.Add(tr.lasts)
	syncClusters(t.d)
}

// advance ends the current transition if its time has come. Transitions are evaluated lazily,
// on reads, so a fake clock steers them without goroutines or timers.
func (t *task) advance(now time.Time) {
	if t.until.IsZero() || now.Before(t.until) {
		return
	}
	t.d.Status, t.until, t.end = t.end, time.Time{}, ""
	if t.d.Status == drapi.StatusRunning && t.d.StartTime == "" {
		t.d.StartTime = now.UTC().Format(timeLayout)
	}
	syncClusters(t.d)
}

// syncClusters sets both clusters' statuses to what DWS shows for the DR status.
func syncClusters(d *detail) {
	p, sb := "waiting", "waiting"
	switch d.Status {
	case drapi.StatusRunning, drapi.StatusStopFailed:
		p, sb = "backuping", "restoring"
	case drapi.StatusStopped:
		p, sb = "stopped", "stopped"
	case drapi.StatusAbnormal, drapi.StatusCreateFailed:
		p, sb = "abnormal", "abnormal"
	case drapi.StatusDeleting, drapi.StatusDeleted:
		p, sb = "drDeleted", "drDeleted"
	}
	d.Primary.Status, d.Standby.Status = p, sb
}
