package drsim

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
	"github.com/dws-dr/drpause/pkg/drapi"
)

const (
	// maxRequestBody caps what the simulator reads; the real calls have no body at all.
	maxRequestBody = 64 << 10
	// maxSkew is how far X-Sdk-Date may be from the clock before the gateway refuses it.
	maxSkew = 15 * time.Minute
)

func (s *Sim) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /v2/{project_id}/disaster-recovery/{id}", s.endpoint(RouteDetail, s.serveDetail))
	mux.Handle("GET /v2/{project_id}/disaster-recoveries", s.endpoint(RouteList, s.serveList))
	mux.Handle("POST /v2/{project_id}/disaster-recovery/{id}/pause", s.endpoint(RoutePause, s.servePause))
	mux.Handle("POST /v2/{project_id}/disaster-recovery/{id}/start", s.endpoint(RouteStart, s.serveStart))
	// The gateway answers any other method or path alike, before authentication.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment.")
	})
	return mux
}

// ServeHTTP serves the simulated API. Every answer carries a fresh X-Request-Id.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", newRequestID())
	s.mux.ServeHTTP(w, r)
}

// endpoint wraps serve with what the gateway does first: counting, authentication, the project
// check, then any fault injected for route.
func (s *Sim) endpoint(route Route, serve http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[route]++
		s.mu.Unlock()

		if reason := s.authenticate(w, r); reason != "" {
			writeError(w, http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: "+reason)
			return
		}
		if r.PathValue("project_id") != s.projectID {
			// UNVERIFIED: the code DWS uses when the path names a project the credentials do
			// not belong to; clients should treat it as an authorization failure.
			writeError(w, http.StatusForbidden, "APIGW.0302", "The project id in the request does not match the authorized project.")
			return
		}
		if f, ok := s.takeFault(route); ok {
			s.applyFault(w, r, f, serve)
			return
		}
		serve(w, r)
	})
}

// authenticate checks r as the API gateway does and returns why it refuses it, or "".
func (s *Sim) authenticate(w http.ResponseWriter, r *http.Request) string {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return "request body unreadable or too large"
	}
	if _, err := aksk.Verify(r, body, s.secretFor); err != nil {
		return "verify aksk signature fail"
	}
	date, err := time.Parse(aksk.DateLayout, r.Header.Get("X-Sdk-Date"))
	if err != nil {
		return "x-sdk-date missing or invalid"
	}
	if skew := s.now().Sub(date); skew > maxSkew || skew < -maxSkew {
		return "request expired, x-sdk-date too far from server time"
	}
	if r.Header.Get("X-Project-Id") != s.projectID {
		return "x-project-id missing or not authorized"
	}
	if s.creds.SecurityToken != "" && !hmac.Equal([]byte(r.Header.Get("X-Security-Token")), []byte(s.creds.SecurityToken)) {
		return "security token missing or invalid"
	}
	return ""
}

func (s *Sim) secretFor(accessKey string) (string, bool) {
	if !hmac.Equal([]byte(accessKey), []byte(s.creds.AccessKey)) {
		return "", false
	}
	return s.creds.SecretKey, true
}

func (s *Sim) serveDetail(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, fail := s.lookup(r.PathValue("id"))
	var d detail
	if t != nil {
		t.advance(s.now())
		d = *t.d
	}
	s.mu.Unlock()
	if fail != nil {
		fail.write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"disaster_recovery": d})
}

func (s *Sim) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, primary, standby := q.Get("id"), q.Get("primary_cluster_id"), q.Get("standby_cluster_id")
	now := s.now()
	items := []summary{}
	s.mu.Lock()
	for _, t := range s.tasks {
		t.advance(now)
		if id != "" && t.d.ID != id ||
			primary != "" && t.d.Primary.ID != primary ||
			standby != "" && t.d.Standby.ID != standby {
			continue
		}
		items = append(items, t.d.summary(t.lastDisaster))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"disaster_recovery": items})
}

func (s *Sim) servePause(w http.ResponseWriter, r *http.Request) { s.change(w, r, s.pause) }

func (s *Sim) serveStart(w http.ResponseWriter, r *http.Request) { s.change(w, r, s.start) }

// change starts tr on the task named in r if its status allows, and answers with the task id
// as DWS does.
func (s *Sim) change(w http.ResponseWriter, r *http.Request, tr transition) {
	id := r.PathValue("id")
	s.mu.Lock()
	t, fail := s.lookup(id)
	if t != nil {
		now := s.now()
		t.advance(now)
		if tr.allowed(t.d.Status) {
			t.enter(tr, now)
		} else {
			// UNVERIFIED: which code DWS uses for an operation its status forbids is not
			// documented (see DefaultRefusalCode). The simulator answers 400, as the pause
			// API documents, with the configured code and a message naming the status.
			fail = &apiError{http.StatusBadRequest, s.refusalCode,
				"The disaster recovery task cannot " + tr.name + " in status " + string(t.d.Status) + "."}
		}
	}
	s.mu.Unlock()
	if fail != nil {
		fail.write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"disaster_recovery": map[string]string{"id": id}})
}

// apiError is an error answer decided under s.mu and written after it is released.
type apiError struct {
	status    int
	code, msg string
}

func (e *apiError) write(w http.ResponseWriter) { writeError(w, e.status, e.code, e.msg) }

// lookup finds the task with id, or returns the error DWS answers. s.mu must be held.
func (s *Sim) lookup(id string) (*task, *apiError) {
	if err := drapi.ValidateID(id); err != nil {
		return nil, &apiError{http.StatusBadRequest, "DWS.0001", "Invalid parameter: disaster_recovery_id."}
	}
	t := s.find(id)
	if t == nil {
		return nil, &apiError{http.StatusBadRequest, "DWS.10101", "The disaster recovery task does not exist."}
	}
	return t, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the simulator's own types reach here; failing to encode them is a bug in it.
		writeError(w, http.StatusInternalServerError, "DWS.9999", "Internal error.")
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError writes a DWS error body; the gateway's own errors (APIG*) also carry the request id.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	body := map[string]string{"error_code": code, "error_msg": msg}
	if strings.HasPrefix(code, "APIG") {
		body["request_id"] = w.Header().Get("X-Request-Id")
	}
	b, _ := json.Marshal(body) // a map of strings always encodes
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead of returning an error)
	return hex.EncodeToString(b[:])
}
