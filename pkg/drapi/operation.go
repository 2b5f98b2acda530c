package drapi

// operation is what a pause and a start differ in. Sending one, reading the status back and
// following it are one piece of code for both, so that they keep the same guarantees.
type operation struct {
	name    string            // "pause" or "start": the last segment of its path, and the Op of its errors
	allowed func(Status) bool // the statuses DWS accepts it from
	transit Status            // the status on the way
	target  Status            // the status that ends it well
	failure Status            // the status that ends it badly, besides abnormal
}

var (
	opPause = &operation{name: "pause", allowed: Status.Pausable,
		transit: StatusStopping, target: StatusStopped, failure: StatusStopFailed}
	opStart = &operation{name: "start", allowed: Status.Startable,
		transit: StatusStarting, target: StatusRunning, failure: StatusStartFailed}
)

// tookEffect reports whether a DR in status s has op under way or done, whoever sent it.
func (op *operation) tookEffect(s Status) bool { return s == op.transit || s == op.target }
