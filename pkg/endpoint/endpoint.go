// Package endpoint checks the base URL a signed request is about to be sent to: the DR API's,
// the AWS services', Slack's. One rule for all of them, so a request carrying a signature or a
// security token never crosses a network in clear text and a URL never smuggles credentials.
package endpoint

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
)

// Why Parse refuses a URL. None of them quotes it: it may carry a password.
var (
	ErrNotAbsolute = errors.New("want an absolute URL")
	ErrUserInfo    = errors.New("must not carry a user name or password")
	ErrQuery       = errors.New("must not carry a query or fragment")
	ErrPlainHTTP   = errors.New("plain http only for loopback hosts")
	ErrScheme      = errors.New("want https")
)

// Parse returns raw as a base URL, without a trailing slash, or why it may not be one: it must
// be absolute https, or plain http to a loopback host (tests, local simulators), with no user
// info (credentials have settings of their own; in a URL they end up in logs and proxies), no
// query and no fragment.
func Parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, ErrNotAbsolute
	}
	if u.User != nil {
		return nil, ErrUserInfo
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, ErrQuery
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, ErrPlainHTTP
		}
	default:
		return nil, ErrScheme
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether host names this machine: localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
