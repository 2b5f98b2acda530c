package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/secrets"
	"github.com/dws-dr/drpause/pkg/awsapi"
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
// keeps the source for the routes.
func (s *secretSet) reader(ctx context.Context) config.SecretReader {
	return func(arn string) (map[string]string, error) {
		api, err := s.aws()
		if err != nil {
			return nil, fmt.Errorf("cannot reach Secrets Manager: %w", err)
		}
		src, err := secrets.Open(ctx, secrets.Options{ARN: arn, API: api, Names: config.SecretNames()})
		if err != nil {
			return nil, err
		}
		s.source = src
		return src.Values(), nil
	}
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
	return rotating.Fixed(fixed.Reveal())
}
