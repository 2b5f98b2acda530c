package drapi

import "time"

// Status is the status of a disaster-recovery (DR) task.
type Status string

// The DR task statuses DWS documents. There is no "paused": a paused DR is stopped.
const (
	StatusCreating      Status = "creating"
	StatusCreateFailed  Status = "create_failed"
	StatusUnstart       Status = "unstart"
	StatusStarting      Status = "starting"
	StatusStartFailed   Status = "start_failed"
	StatusRunning       Status = "running"
	StatusStopping      Status = "stopping"
	StatusStopped       Status = "stopped"
	StatusStopFailed    Status = "stop_failed"
	StatusSwitchovering Status = "switchovering"
	StatusAbnormal      Status = "abnormal"
	StatusDeleting      Status = "deleting"
	StatusDeleted       Status = "deleted"
)

// Pausable reports whether DWS accepts a pause (stop) from status s.
func (s Status) Pausable() bool { return s == StatusRunning || s == StatusStopFailed }

// Startable reports whether DWS accepts a start (a resume) from status s.
func (s Status) Startable() bool {
	return s == StatusUnstart || s == StatusStartFailed || s == StatusStopped
}

// Cluster is one side of a DR pair as the detail call describes it.
// Times are kept as DWS sends them: their format is not documented.
type Cluster struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	AZ              string `json:"cluster_az"`
	Role            string `json:"role"`
	Region          string `json:"region"`
	Status          string `json:"status"`
	LastSuccessTime string `json:"last_success_time"`
}

// Detail is a DR task as GET /v2/{project_id}/disaster-recovery/{id} returns it.
type Detail struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	DRType     string  `json:"dr_type"`
	Status     Status  `json:"status"`
	Primary    Cluster `json:"primary_cluster"`
	Standby    Cluster `json:"standby_cluster"`
	SyncPeriod string  `json:"dr_sync_period"`
	StartTime  string  `json:"start_time"`
	CreateTime string  `json:"create_time"`
}

// Summary is one item of GET /v2/{project_id}/disaster-recoveries.
type Summary struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Status               Status `json:"status"`
	DRType               string `json:"dr_type"`
	PrimaryClusterID     string `json:"primary_cluster_id"`
	PrimaryClusterName   string `json:"primary_cluster_name"`
	PrimaryClusterRole   string `json:"primary_cluster_role"`
	PrimaryClusterStatus string `json:"primary_cluster_status"`
	PrimaryClusterRegion string `json:"primary_cluster_region"`
	StandbyClusterID     string `json:"standby_cluster_id"`
	StandbyClusterName   string `json:"standby_cluster_name"`
	StandbyClusterRole   string `json:"standby_cluster_role"`
	StandbyClusterStatus string `json:"standby_cluster_status"`
	StandbyClusterRegion string `json:"standby_cluster_region"`
	LastDisasterTime     string `json:"last_disaster_time"`
	StartTime            string `json:"start_time"`
	CreateTime           string `json:"create_time"`
}

// ListFilter narrows List; empty fields do not filter.
type ListFilter struct {
	ID               string
	PrimaryClusterID string
	StandbyClusterID string
}

// FollowOptions tune PauseAndFollow and StartAndFollow. The zero value polls from 2 s up to 10 s.
type FollowOptions struct {
	// OnStatus, if set, is called with every status the follow observes that differs from
	// the previous one, starting with the first. It runs on the caller's goroutine.
	OnStatus func(Status)
	// MinInterval and MaxInterval bound the poll backoff (defaults 2 s and 10 s).
	MinInterval, MaxInterval time.Duration
}

// Outcome is what PauseAndFollow or StartAndFollow observed. It is returned with and without an
// error, so callers can report how far a failed operation got.
//
// Posted false with Initial a status the operation is sent from (running or stop_failed for a
// pause; unstart, start_failed or stopped for a start): another request of the same operation got
// there first (DWS refused this one because the DR was already on its way or there); with
// Initial the operation's transit or target status (stopping or stopped; starting or running),
// the DR was found that way and nothing was sent.
type Outcome struct {
	ID     string // the DR id asked for
	OpID   string // the id the pause or start call returned; empty when none was accepted
	Posted bool   // the operation's POST was accepted (false: it was already under way or done)
	// PauseID is OpID after a pause, and empty after a start.
	//
	// Deprecated: use OpID, which every operation fills.
	PauseID   string
	Initial   Status        // the status before anything was done
	Status    Status        // the last status observed
	RequestID string        // X-Request-Id of the operation's response, or of the last call
	Attempts  int           // POSTs of the operation sent (more than 1 only after throttling)
	Elapsed   time.Duration // from the first call to the end
}

// isCanonicalUUID reports whether s has the lowercase 8-4-4-4-12 hex form DWS uses for ids.
// It is a loop rather than a regexp: compiling the counted repetitions cost 0.3 ms of every
// cold start, and ValidateID runs on every request.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// ValidateID reports whether id is a canonical (lowercase, hyphenated) UUID, the only form a DR id
// takes. Every Client method checks it before building a URL, so path tricks never reach the network.
func ValidateID(id string) error {
	if !isCanonicalUUID(id) {
		return ErrInvalidID
	}
	return nil
}
