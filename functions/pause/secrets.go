package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dws-dr/drpause/bot"
	"github.com/dws-dr/drpause/functions/pause/internal/check"
	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
	"github.com/dws-dr/drpause/functions/pause/internal/secrets"
	"github.com/dws-dr/drpause/pkg/awsapi"
	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/rotating"
)

// secretSet is where each secret variable comes from: the DR_SECRETS_ARN secret, re-read while
// the function runs, or the environment (NAME or NAME_FILE), read once. Configuration refuses a
// variable given in both.
type secretSet struct {
	aws    func() (*awsapi.Client, error) // built once, shared with the self-invocation
	source *secrets.Source                // nil without DR_SECRETS_ARN
}

func newSecretSet() *secretSet {
	return &secretSet{aws: sync.OnceValues(newAWS)}
}

// reader is the config.SecretReader of DR_SECRETS_ARN: it reads the secret once, at start, and
// keeps the source for the routes. The read starts at once, before configuration is parsed, so
// that its round trip to Secrets Manager, most of a cold start's own work, overlaps the parsing.
func (s *secretSet) reader(ctx context.Context, getenv func(string) string) config.SecretReader {
	type opened struct {
		src *secrets.Source
		err error
	}
	early, arn := make(chan opened, 1), getenv("DR_SECRETS_ARN")
	if arn != "" {
		go func() {
			src, err := s.open(ctx, arn)
			early <- opened{src, err}
		}()
	}
	return func(asked string) (map[string]string, error) {
		var o opened
		if asked == arn {
			o = <-early
		} else {
			o.src, o.err = s.open(ctx, asked)
		}
		if o.err != nil {
			return nil, o.err
		}
		s.source = o.src
		return o.src.Values(), nil
	}
}

func (s *secretSet) open(ctx context.Context, arn string) (*secrets.Source, error) {
	api, err := s.aws()
	if err != nil {
		return nil, fmt.Errorf("cannot reach Secrets Manager: %w", err)
	}
	return secrets.Open(ctx, secrets.Options{ARN: arn, API: api, Names: config.SecretNames()})
}

// started hands the logger to the source, for its re-reads, and says which variables the secret
// holds (never their values).
func (s *secretSet) started(log *slog.Logger) {
	if s.source == nil {
		return
	}
	s.source.SetLogger(log)
	log.Info("secrets read from DR_SECRETS_ARN",
		slog.Any("variables", slices.Sorted(maps.Keys(s.source.Values()))))
}

// secret returns the variable name as the routes check it: from the DR_SECRETS_ARN secret when
// that holds it, so a rotation reaches the routes, else the value configuration read.
func (s *secretSet) secret(name string, fixed config.Secret) rotating.Secret {
	if s.source != nil {
		if _, ok := s.source.Values()[name]; ok {
			return s.source.Secret(name)
		}
	}
	return fixed
}

// dr returns the DR API client of the routes: dr itself, unless the DR_SECRETS_ARN secret holds
// the Huawei Cloud credentials; then a client that follows them, so a rotated AK/SK is used
// without a redeploy once the secret is re-read (every 15 minutes: nothing verifies them on
// arrival).
func (s *secretSet) dr(cfg config.Config, dr *drapi.Client) bot.DR {
	if s.source == nil || cfg.Simulate {
		return dr
	}
	r := &rotatingDR{
		ak:    s.secret("HUAWEICLOUD_SDK_AK", config.Secret(cfg.AccessKey)),
		sk:    s.secret("HUAWEICLOUD_SDK_SK", cfg.SecretKey),
		token: s.secret("HUAWEICLOUD_SDK_SECURITY_TOKEN", cfg.SecurityToken),
		dr:    dr,
	}
	r.last.Store(&drapi.Credentials{AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey.Reveal(), SecurityToken: cfg.SecurityToken.Reveal()})
	return r
}

// rotatingDR calls the DR API through the one client, signing each call with the credentials in
// force (drapi.WithCredentials, the mechanism per-request credentials use), so the client and
// its connections are kept across a rotation. It is safe for concurrent use.
type rotatingDR struct {
	ak, sk, token rotating.Secret
	dr            *drapi.Client
	last          atomic.Pointer[drapi.Credentials] // the last complete pair
}

// rotatingDR stands in for *drapi.Client wherever the routes and the self-check take one: it
// forwards every call of the client's interfaces.
var (
	_ bot.DR       = (*rotatingDR)(nil)
	_ invoke.DR    = (*rotatingDR)(nil)
	_ check.Lister = (*rotatingDR)(nil)
)

// with returns ctx signing with the credentials in force. A request that brought its own (a
// FunctionGraph agency) keeps them. A key removed from the secret leaves the last complete pair,
// which the API will refuse by name if it is no longer valid.
func (r *rotatingDR) with(ctx context.Context) context.Context {
	if _, ok := drapi.CredentialsFrom(ctx); ok {
		return ctx
	}
	creds := drapi.Credentials{AccessKey: r.ak.Current(), SecretKey: r.sk.Current(), SecurityToken: r.token.Current()}
	if creds.AccessKey == "" || creds.SecretKey == "" {
		creds = *r.last.Load()
	} else if *r.last.Load() != creds {
		r.last.Store(&creds)
	}
	return drapi.WithCredentials(ctx, creds)
}

func (r *rotatingDR) Get(ctx context.Context, id string) (*drapi.Detail, error) {
	return r.dr.Get(r.with(ctx), id)
}

func (r *rotatingDR) List(ctx context.Context, f drapi.ListFilter) ([]drapi.Summary, error) {
	return r.dr.List(r.with(ctx), f)
}

func (r *rotatingDR) PauseAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	return r.dr.PauseAndFollow(r.with(ctx), id, opt)
}

func (r *rotatingDR) StartAndFollow(ctx context.Context, id string, opt drapi.FollowOptions) (drapi.Outcome, error) {
	return r.dr.StartAndFollow(r.with(ctx), id, opt)
}
