package lambdaentry

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// JobKey authenticates job envelopes. It is derived from a deployment secret, so a job can only
// come from a function holding that secret, and the secret itself never signs anything else's
// format.
type JobKey []byte

// NewJobKey derives the key from secret. An empty secret gives a nil key, which seals nothing.
func NewJobKey(secret string) JobKey {
	if secret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(secret))
	// v2 added the job id to what the mac covers.
	m.Write([]byte("drpause job v2"))
	return m.Sum(nil)
}

// MaxJobAge is how old an envelope may be when it arrives. Async invocations queue for seconds
// as a rule; a replayed or long-stuck envelope is refused.
const MaxJobAge = 15 * time.Minute

// maxClockSkew tolerates envelopes issued slightly in the future by another instance.
const maxClockSkew = time.Minute

// envelope is the payload of an asynchronous invocation carrying deferred work.
type envelope struct {
	Job      json.RawMessage `json:"drpause_job"`
	ID       string          `json:"job_id"`    // unique to one Defer: claimed in the ledger before the job runs
	IssuedAt int64           `json:"issued_at"` // Unix seconds
	MAC      string          `json:"mac"`       // hex HMAC-SHA256(key, compact job + "\n" + issued_at + "\n" + job_id)
}

// opened is what a valid envelope holds.
type opened struct {
	job    json.RawMessage // compacted
	id     string
	issued time.Time
}

// Why Jobs refuses an envelope, for errors.Is.
var (
	ErrNoJobKey  = errors.New("lambdaentry: no job key")
	ErrBadJobMAC = errors.New("lambdaentry: job envelope: bad mac")
	ErrStaleJob  = errors.New("lambdaentry: job envelope: too old or from the future")
)

func (k JobKey) mac(job []byte, issuedAt int64, id string) []byte {
	m := hmac.New(sha256.New, k)
	m.Write(job)
	m.Write([]byte("\n" + strconv.FormatInt(issuedAt, 10) + "\n" + id))
	return m.Sum(nil)
}

// sealJob wraps job (JSON) in an envelope with the job id id, issued at now.
func sealJob(k JobKey, job []byte, id string, now time.Time) ([]byte, error) {
	if len(k) == 0 {
		return nil, ErrNoJobKey
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, job); err != nil {
		return nil, fmt.Errorf("lambdaentry: seal job: %w", err)
	}
	env := envelope{Job: compact.Bytes(), ID: id, IssuedAt: now.Unix()}
	env.MAC = hex.EncodeToString(k.mac(env.Job, env.IssuedAt, env.ID))
	// json.Marshal would escape a raw <, > or & inside the job, so the job openJob compacts on
	// arrival would no longer be the one the mac covers: fuzzing found such jobs refused as
	// forged. (Jobs.Defer's jobs come from json.Marshal, already escaped, and were not affected.)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, fmt.Errorf("lambdaentry: seal job: %w", err)
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// openJob checks an envelope's mac and age and returns what it carries. The mac is checked
// over the compacted job, so whitespace added in transit does not matter.
func openJob(k JobKey, payload []byte, now time.Time) (opened, error) {
	if len(k) == 0 {
		return opened{}, ErrNoJobKey
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return opened{}, fmt.Errorf("lambdaentry: job envelope: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, env.Job); err != nil {
		return opened{}, fmt.Errorf("lambdaentry: job envelope: %w", err)
	}
	got, err := hex.DecodeString(env.MAC)
	if err != nil || !hmac.Equal(got, k.mac(compact.Bytes(), env.IssuedAt, env.ID)) {
		return opened{}, ErrBadJobMAC
	}
	issued := time.Unix(env.IssuedAt, 0)
	o := opened{job: compact.Bytes(), id: env.ID, issued: issued}
	if now.Sub(issued) > MaxJobAge || issued.Sub(now) > maxClockSkew {
		// Authentic but too late to act on: returned with the error, so that whoever waits for
		// the job can be told it was not run.
		return o, ErrStaleJob
	}
	return o, nil
}
