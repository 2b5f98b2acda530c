package drapi

import (
	"context"
	"errors"
)

// ErrNoCredentials: the call had no complete access key pair to sign with (neither the context,
// see WithCredentials, nor the Client held one); nothing was sent. errors.Is(err, ErrAuth) is
// true for it too, since to a caller it is a credentials problem.
var ErrNoCredentials = errors.New("drapi: no credentials: an access key and a secret key are needed")

// noCredentialsError is ErrNoCredentials saying which part is missing, and never a value.
type noCredentialsError struct{ missing string }

func (e *noCredentialsError) Error() string {
	return ErrNoCredentials.Error() + " (missing: " + e.missing + ")"
}

func (e *noCredentialsError) Is(target error) bool {
	return target == ErrNoCredentials || target == ErrAuth
}

// credentialsKey is the context key of WithCredentials.
type credentialsKey struct{}

// WithCredentials returns a copy of ctx whose calls sign with creds instead of the Client's own
// credentials: temporary credentials handed over with one request, such as those a Huawei Cloud
// FunctionGraph agency puts in each request's X-CFF-Security-* headers. They last as long as ctx
// and whatever is derived from it (a follow-up detached with context.WithoutCancel keeps them),
// and are never stored in the Client.
//
// creds are used whole: an incomplete set (no access key or no secret key) never falls back to
// the Client's credentials, it makes every call of ctx fail with ErrNoCredentials before
// anything is sent. So a request whose per-request credentials are broken calls nothing.
func WithCredentials(ctx context.Context, creds Credentials) context.Context {
	return context.WithValue(ctx, credentialsKey{}, creds)
}

// CredentialsFrom returns the credentials WithCredentials put in ctx, if any.
func CredentialsFrom(ctx context.Context) (Credentials, bool) {
	creds, ok := ctx.Value(credentialsKey{}).(Credentials)
	return creds, ok
}

// credentials returns what a call under ctx signs with: the context's credentials when it has
// some, else the Client's.
func (c *Client) credentials(ctx context.Context) (Credentials, error) {
	creds, ok := CredentialsFrom(ctx)
	if !ok {
		creds = c.creds
	}
	switch {
	case creds.AccessKey == "" && creds.SecretKey == "":
		return creds, &noCredentialsError{missing: "access key and secret key"}
	case creds.AccessKey == "":
		return creds, &noCredentialsError{missing: "access key"}
	case creds.SecretKey == "":
		return creds, &noCredentialsError{missing: "secret key"}
	}
	return creds, nil
}
