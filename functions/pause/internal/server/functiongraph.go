package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// Headers Huawei Cloud FunctionGraph adds to the requests of an HTTP function (user guide,
// "Transferring Secret Keys Through the Request Header",
// https://support.huaweicloud.com/intl/en-us/usermanual-functiongraph/functiongraph_01_0395.html):
// X-CFF-Request-Id on every request, and with an agency and "Include Keys" the agency's temporary
// credentials, which "must be used together", and an IAM token.
const (
	HeaderRequestID     = "X-Cff-Request-Id"
	HeaderAccessKey     = "X-Cff-Security-Access-Key"
	HeaderSecretKey     = "X-Cff-Security-Secret-Key"
	HeaderSecurityToken = "X-Cff-Security-Token"
	headerAuthToken     = "X-Cff-Auth-Token"
)

// FunctionGraph says what the routes make of the headers FunctionGraph adds. The zero value
// (Lambda mode) recognises nothing and only removes the credential headers, which no other
// platform sends.
type FunctionGraph struct {
	// Recognise marks requests that carry FunctionGraph's headers (HTTP mode): see PlatformOf.
	Recognise bool
	// Credentials: the agency's X-CFF-Security-* headers are the DR API credentials of their
	// request and of any follow-up it starts (drapi.WithCredentials), over any AK/SK variable.
	// Off under DR_SIMULATE, whose simulator accepts only its own keys.
	Credentials bool
	// Required: no AK/SK variable is set, so a request without the headers has no credentials
	// and is refused like one with a partial set.
	Required bool
}

// Platform is what PlatformOf knows about one request.
type Platform struct {
	// FunctionGraph: the request came through FunctionGraph, whose HTTP functions may not run
	// on once they have answered (nothing documents that they do), so work usually done after
	// the answer has to be done before it.
	FunctionGraph bool
	// CredentialsProblem, when set, is why the DR API cannot be called for this request (a
	// partial set of agency headers, or none where they are required). It names headers and
	// settings, never a value.
	CredentialsProblem string
}

type platformKey struct{}

// PlatformOf returns what the routes learned about the request of ctx.
func PlatformOf(ctx context.Context) Platform {
	p, _ := ctx.Value(platformKey{}).(Platform)
	return p
}

// credentialHeaders are removed from every request before any handler sees it, so nothing logs
// or forwards them; their values live on only in the request's context.
var credentialHeaders = []string{HeaderAccessKey, HeaderSecretKey, HeaderSecurityToken, headerAuthToken}

// readHeaders takes FunctionGraph's headers off r and puts what they say in its context.
func (fg FunctionGraph) readHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creds := drapi.Credentials{
			AccessKey:     r.Header.Get(HeaderAccessKey),
			SecretKey:     r.Header.Get(HeaderSecretKey),
			SecurityToken: r.Header.Get(HeaderSecurityToken),
		}
		present := creds != drapi.Credentials{}
		for _, h := range credentialHeaders {
			r.Header.Del(h)
		}
		if !fg.Recognise {
			next.ServeHTTP(w, r)
			return
		}
		p := Platform{FunctionGraph: present || r.Header.Get(HeaderRequestID) != ""}
		ctx := r.Context()
		if fg.Credentials {
			switch missing := missingHeaders(creds); {
			case present && len(missing) > 0:
				p.CredentialsProblem = "FunctionGraph sent an incomplete set of agency credentials (no " +
					strings.Join(missing, ", ") + "): check the function's agency and its Include Keys setting"
			case !present && fg.Required:
				p.CredentialsProblem = "no DR API credentials: the request carried no X-CFF-Security-* headers" +
					" and HUAWEICLOUD_SDK_AK/SK are not set: give the FunctionGraph function an agency and turn Include Keys on"
			}
			if present {
				// Even an incomplete set goes into the context: drapi then refuses every call
				// of the request instead of falling back to the AK/SK variables.
				ctx = drapi.WithCredentials(ctx, creds)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, platformKey{}, p)))
	})
}

// missingHeaders names the credential headers that are empty in creds.
func missingHeaders(creds drapi.Credentials) []string {
	var missing []string
	for _, h := range []struct{ name, value string }{
		{HeaderAccessKey, creds.AccessKey},
		{HeaderSecretKey, creds.SecretKey},
		{HeaderSecurityToken, creds.SecurityToken},
	} {
		if h.value == "" {
			missing = append(missing, canonicalCFF(h.name))
		}
	}
	return missing
}

// canonicalCFF writes a header name as FunctionGraph's documentation does (X-CFF-...), which is
// how an operator will search for it.
func canonicalCFF(name string) string { return strings.Replace(name, "X-Cff-", "X-CFF-", 1) }

// refuseWithoutCredentials answers a request whose DR API credentials are unusable with
// status and the product's error shape, before next sees it: nothing is done. Slack's routes
// are not wrapped: the bot verifies the request first and answers in Slack (see PlatformOf).
func refuseWithoutCredentials(log *slog.Logger, status int, next http.Handler) http.Handler {
	if next == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem := PlatformOf(r.Context()).CredentialsProblem
		if problem == "" {
			next.ServeHTTP(w, r)
			return
		}
		log.LogAttrs(r.Context(), slog.LevelWarn, "request refused: no usable DR API credentials",
			slog.String("path", r.URL.Path), slog.Int("status", status), slog.String("reason", problem))
		var body struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		body.Error.Code = "credentials_unusable"
		body.Error.Message = problem + "; nothing was done"
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body) // the caller may be gone; nothing to do about it
	})
}
