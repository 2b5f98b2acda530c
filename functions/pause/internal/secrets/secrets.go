// Package secrets keeps the secret variables of one AWS Secrets Manager secret (DR_SECRETS_ARN, a
// JSON object whose keys are the variables' names) in memory, and re-reads it so that a rotated
// secret works without a redeploy: at once when a request fails to verify with a value from it
// (then at most once a minute, so forged requests cannot make the function hammer the API), and
// every 15 minutes otherwise, for the values nothing verifies on arrival.
//
// Each variable is handed to the code that uses it as a rotating.Secret. Reading one takes no
// lock: the values live in an immutable snapshot behind an atomic pointer, replaced whole by each
// read. Keys derived from a value (a card's button MAC, a job envelope's key) also accept the
// value of the secret's previous version, AWSPREVIOUS in Secrets Manager, for an hour after the
// current version was created, so cards and jobs made before a rotation, or by an instance that
// re-read the secret at another time, still open. Outside that hour only the current version is
// read.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// Defaults of the Options durations.
const (
	// DefaultMaxAge is how old the values may get before a request triggers a re-read.
	DefaultMaxAge = 15 * time.Minute
	// DefaultRecheckEvery is how often a failed verification may trigger a re-read, after the
	// first one, which is at once. A failed scheduled re-read is tried again after it too.
	DefaultRecheckEvery = time.Minute
	// DefaultGrace is how long after a rotation the previous version's values are accepted for
	// keys derived from them: the card lifetime (bot.DefaultCardTTL), longer than a job's.
	DefaultGrace = time.Hour
	// DefaultTimeout bounds one read. A re-read on a failed verification runs while the
	// request waits, and Slack waits 3 s for its answer.
	DefaultTimeout = 2 * time.Second
)

// API is the Secrets Manager API; *awsapi.Client is one.
type API interface {
	Do(ctx context.Context, s awsapi.Service, op string, in, out any) error
}

// Options configure a Source.
type Options struct {
	ARN   string   // DR_SECRETS_ARN: the secret's ARN or name
	API   API      // Secrets Manager
	Names []string // the keys the secret may hold: the secret variables
	// Logger reports re-reads (names and version ids, never values); nil discards. SetLogger
	// replaces it, for callers that can build their logger only after the first read.
	Logger *slog.Logger
	Now    func() time.Time // nil means time.Now

	MaxAge, RecheckEvery, Grace, Timeout time.Duration // zero means the Default*
}

// Source holds the values of the secret. It is safe for concurrent use.
type Source struct {
	arn     string
	api     API
	names   map[string]bool
	now     func() time.Time
	maxAge  time.Duration
	recheck time.Duration
	grace   time.Duration
	timeout time.Duration
	log     atomic.Pointer[slog.Logger]

	cur        atomic.Pointer[snapshot]
	refreshing atomic.Bool // a scheduled re-read is under way

	mu          sync.Mutex // one read at a time
	lastRecheck time.Time  // of a re-read triggered by a failed verification; guarded by mu
}

// snapshot is the secret as one read found it. It is never changed once stored.
type snapshot struct {
	values    map[string]string // AWSCURRENT
	version   string            // its VersionId
	previous  map[string]string // AWSPREVIOUS, accepted until prevUntil
	prevUntil time.Time
	due       time.Time // when a request makes the next scheduled re-read start
}

// Open reads the secret and returns a Source holding its values. The error names what is wrong
// (the API's answer, a key that is not a secret variable, a value that is not a string) and never
// holds a value.
func Open(ctx context.Context, o Options) (*Source, error) {
	if o.ARN == "" || o.API == nil {
		return nil, errors.New("secrets: an ARN and an API are required")
	}
	s := &Source{
		arn:     o.ARN,
		api:     o.API,
		names:   make(map[string]bool, len(o.Names)),
		now:     o.Now,
		maxAge:  cmpOr(o.MaxAge, DefaultMaxAge),
		recheck: cmpOr(o.RecheckEvery, DefaultRecheckEvery),
		grace:   cmpOr(o.Grace, DefaultGrace),
		timeout: cmpOr(o.Timeout, DefaultTimeout),
	}
	for _, n := range o.Names {
		s.names[n] = true
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.SetLogger(o.Logger)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.read(ctx, "start"); err != nil {
		return nil, err
	}
	return s, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// SetLogger replaces the logger; nil discards.
func (s *Source) SetLogger(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	s.log.Store(l)
}

// Values returns a copy of the values in force, by variable name. Variables the secret sets to ""
// are left out, as an empty environment variable counts as unset.
func (s *Source) Values() map[string]string { return maps.Clone(s.cur.Load().values) }

// Secret returns the variable name as a rotating.Secret: its value in force, the previous
// version's value for the grace period after a rotation, and a re-read on demand.
func (s *Source) Secret(name string) rotating.Secret { return variable{s, name} }

// variable is one key of the secret.
type variable struct {
	s    *Source
	name string
}

func (v variable) Current() string { return v.s.snapshot().values[v.name] }

func (v variable) Previous() string {
	snap := v.s.snapshot()
	if v.s.now().Before(snap.prevUntil) {
		return snap.previous[v.name]
	}
	return ""
}

func (v variable) Recheck(ctx context.Context, failed string) bool {
	return v.s.recheckAfter(ctx, v.name, failed)
}

// LogValue keeps the value out of logs even where a variable is logged whole.
func (v variable) LogValue() slog.Value {
	return slog.GroupValue(slog.String("secret", v.name), slog.String("value", "[redacted]"))
}

// snapshot returns the values in force and, once they are older than maxAge, starts a re-read in
// the background: the request at hand goes on with the values it has. In Lambda a re-read caught
// by the freeze after an invocation resumes, or fails and is retried, at the next one.
func (s *Source) snapshot() *snapshot {
	snap := s.cur.Load()
	if !s.now().Before(snap.due) && s.refreshing.CompareAndSwap(false, true) {
		go func() {
			defer s.refreshing.Store(false)
			s.mu.Lock()
			defer s.mu.Unlock()
			if !s.now().Before(s.cur.Load().due) { // no other read got there first
				_ = s.read(context.Background(), "scheduled") // logged by read
			}
		}()
	}
	return snap
}

// recheckAfter re-reads the secret after a request failed to verify with failed as the value of
// name, unless another read already replaced that value, or a re-read of this kind ran less than
// recheck ago. It reports whether name now has another value.
func (s *Source) recheckAfter(ctx context.Context, name, failed string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Load().values[name] != failed {
		return true
	}
	now := s.now()
	if !s.lastRecheck.IsZero() && now.Sub(s.lastRecheck) < s.recheck {
		return false
	}
	s.lastRecheck = now
	// The request's own deadline is not the read's: a caller that hangs up must not waste the
	// once-a-minute re-read.
	if err := s.read(context.WithoutCancel(ctx), "a request failed to verify with "+name); err != nil {
		return false
	}
	return s.cur.Load().values[name] != failed
}

// version is one version of the secret, decoded.
type version struct {
	values  map[string]string
	id      string
	created time.Time
}

// read fetches the current version and stores what it holds, with the previous version's values
// when they are still accepted. On failure the values in force stay, and the next scheduled
// re-read is put off by recheck. The caller holds s.mu.
//
// The previous version is read only within grace of the current one's creation, the hour after
// a rotation: later it would be refused anyway, so a cold start long after the last rotation
// makes one call to Secrets Manager, not two.
func (s *Source) read(ctx context.Context, reason string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cur, err := s.get(ctx, "AWSCURRENT")
	now := s.now()
	old := s.cur.Load()
	log := s.log.Load()
	if err != nil {
		if old != nil {
			postponed := *old
			postponed.due = now.Add(s.recheck)
			s.cur.Store(&postponed)
			log.Warn("secrets: re-read failed; keeping the values read before",
				slog.String("reason", reason), slog.String("error", err.Error()))
		}
		return err
	}
	next := &snapshot{values: cur.values, version: cur.id, due: now.Add(s.maxAge)}
	switch {
	case old != nil && old.version == cur.id:
		next.previous, next.prevUntil = old.previous, old.prevUntil // nothing changed
	case !now.Before(cur.created.Add(s.grace)):
		// Rotated more than grace ago: the previous values are no longer accepted.
	default:
		prev, err := s.get(ctx, "AWSPREVIOUS")
		var notFound *awsapi.Error
		switch {
		case err == nil:
			next.previous, next.prevUntil = prev.values, cur.created.Add(s.grace)
		case errors.As(err, &notFound) && notFound.Code == "ResourceNotFoundException":
			// A secret with a single version has no AWSPREVIOUS.
		case old != nil:
			// What this instance held before stands in for the previous version.
			next.previous, next.prevUntil = old.values, now.Add(s.grace)
			log.Warn("secrets: cannot read the previous version", slog.String("error", err.Error()))
		default:
			log.Warn("secrets: cannot read the previous version", slog.String("error", err.Error()))
		}
	}
	s.cur.Store(next)
	if old == nil {
		return nil
	}
	changed := changedNames(old.values, next.values)
	level := slog.LevelDebug
	if len(changed) > 0 {
		level = slog.LevelInfo
	}
	log.LogAttrs(ctx, level, "secrets: re-read", slog.String("reason", reason),
		slog.String("version_id", cur.id), slog.Any("changed", changed))
	return nil
}

// changedNames lists, sorted, the variables whose value differs between a and b.
func changedNames(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// get reads one version of the secret by its staging label.
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
func (s *Source) get(ctx context.Context, stage string) (version, error) {
	in := struct{ SecretId, VersionStage string }{s.arn, stage}
	var out struct {
		SecretString *string
		VersionID    string  `json:"VersionId"`
		CreatedDate  float64 // epoch seconds, as the JSON protocol writes timestamps
	}
	if err := s.api.Do(ctx, awsapi.SecretsManager, "GetSecretValue", in, &out); err != nil {
		return version{}, fmt.Errorf("cannot read the secret: %w", err)
	}
	if out.SecretString == nil {
		return version{}, fmt.Errorf("unusable secret (%s): no string value: want a JSON object of the secret variables", stage)
	}
	values, err := s.parse(*out.SecretString)
	if err != nil {
		return version{}, fmt.Errorf("unusable secret (%s): %w", stage, err)
	}
	sec, frac := math.Modf(out.CreatedDate)
	return version{values: values, id: out.VersionID, created: time.Unix(int64(sec), int64(frac*1e9))}, nil
}

// parse decodes the secret's JSON object. Its errors name keys, never values: the JSON decoder's
// own errors quote the text they stopped at, so they are not passed on.
func (s *Source) parse(text string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &raw) != nil || raw == nil {
		return nil, errors.New("not a JSON object: want {\"NAME\": \"value\", ...} with the secret variables' names")
	}
	values := make(map[string]string, len(raw))
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if !s.names[k] {
			return nil, fmt.Errorf("%s is not a secret variable: want some of %s",
				describeKey(k), strings.Join(slices.Sorted(maps.Keys(s.names)), ", "))
		}
		var v string
		if json.Unmarshal(raw[k], &v) != nil {
			return nil, fmt.Errorf("%s: want a string", k)
		}
		if v != "" {
			values[k] = v
		}
	}
	return values, nil
}

// describeKey names a key that is not a secret variable, unless it does not look like a
// variable's name (capitals, digits and at least one underscore): then it may be a value pasted
// in the wrong place, and is not repeated.
func describeKey(k string) string {
	if len(k) > 64 || !strings.Contains(k, "_") || strings.IndexFunc(k, func(r rune) bool {
		return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_')
	}) >= 0 {
		return "a key that is not a variable name"
	}
	return "key " + k
}
