package aksk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Algorithm is the name of the AK/SK signing scheme Huawei Cloud APIs accept.
const Algorithm = "SDK-HMAC-SHA256"

// DateLayout is the format of the X-Sdk-Date header.
const DateLayout = "20060102T150405Z"

const headerDate = "X-Sdk-Date"

// emptyBodyHash is the hex SHA-256 of no bytes, the payload hash of every request without a body.
const emptyBodyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Sign adds X-Sdk-Date and the SDK-HMAC-SHA256 Authorization header to r, signing the method,
// the path, the query, body and every header already set on r except Authorization, Content-Type
// and names holding an underscore, as the official SDKs do. Headers that should be signed, such
// as X-Project-Id and X-Security-Token, must be set first. Body is the payload r sends; Sign
// hashes it and leaves r.Body unread.
func Sign(r *http.Request, body []byte, c Credentials, now time.Time) {
	r.Header.Set(headerDate, now.UTC().Format(DateLayout))
	names := signedHeaderNames(r.Header)
	sig := signature(c.SecretKey, r, names, bodyHash(body))
	r.Header.Set("Authorization", Algorithm+" Access="+c.AccessKey+", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
}

// ErrBadSignature is returned by Verify for any request whose signature does not check out.
var ErrBadSignature = errors.New("aksk: bad signature")

// Verify checks r's Authorization header the way the API gateway does: it parses the access key,
// the signed header list and the signature, looks the secret key up with secretFor, and recomputes
// the signature over the signed headers. It returns the access key. It does not check the date
// skew; callers compare the X-Sdk-Date header with their clock.
func Verify(r *http.Request, body []byte, secretFor func(accessKey string) (string, bool)) (string, error) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, Algorithm+" ")
	if !ok {
		return "", ErrBadSignature
	}
	var ak, signed, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Access":
			ak = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if ak == "" || signed == "" || sig == "" {
		return "", ErrBadSignature
	}
	sk, ok := secretFor(ak)
	if !ok {
		return ak, ErrBadSignature
	}
	names := strings.Split(signed, ";")
	want := signature(sk, r, names, bodyHash(body))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return ak, ErrBadSignature
	}
	return ak, nil
}

// signedHeaderNames lists, lowercased and sorted, the headers that take part in the signature:
// all of them except those whose name starts with content-type or contains an underscore.
func signedHeaderNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(lk, "_") || lk == "authorization" {
			continue
		}
		names = append(names, lk)
	}
	sort.Strings(names)
	return names
}

func signature(secretKey string, r *http.Request, names []string, payloadHash string) string {
	date := r.Header.Get(headerDate)
	sum := sha256.Sum256([]byte(canonicalRequest(r, names, payloadHash)))
	toSign := Algorithm + "\n" + date + "\n" + hex.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte(toSign))
	return hex.EncodeToString(mac.Sum(nil))
}

func canonicalRequest(r *http.Request, names []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL.EscapedPath()))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query()))
	b.WriteByte('\n')
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.TrimSpace(headerValue(r, n)))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(names, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// headerValue reads a header by its lowercase name; Host lives outside r.Header in net/http.
func headerValue(r *http.Request, lowerName string) string {
	if lowerName == "host" {
		if v := r.Header.Get("Host"); v != "" {
			return v
		}
		return r.Host
	}
	return r.Header.Get(lowerName)
}

func canonicalURI(escapedPath string) string {
	segs := strings.Split(escapedPath, "/")
	for i, s := range segs {
		// Unescape first so a path that arrives escaped (server side) and one built raw (client
		// side) give the same canonical form.
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		segs[i] = escape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func canonicalQuery(q map[string][]string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

// escape percent-encodes every byte outside A-Za-z0-9-_.~ with uppercase hex.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func bodyHash(body []byte) string {
	if len(body) == 0 {
		return emptyBodyHash
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
