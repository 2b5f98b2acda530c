// Package smntest is a local stand-in for the HTTPS side of Huawei Cloud SMN: it publishes signing
// certificates and answers subscription confirmations under SMN's and the console's real host
// names, so the code under test runs with its production host rules, transport and trust store.
//
// The double is reached the way a deployment behind an egress proxy reaches SMN: the process
// trusts a test CA through SSL_CERT_FILE and sends its HTTPS requests through HTTPS_PROXY (and
// plain-HTTP ones through HTTP_PROXY), both pointing here. Go reads those variables once per
// process, so call Setenv in TestMain before any request is made, or hand Environ to a
// subprocess. Whatever host a request names, it ends here: nothing reaches the network.
package smntest

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Request is one request the double received.
type Request struct {
	Via   string // "https" (through a CONNECT tunnel) or "http" (a plain request to the proxy)
	Host  string // the host the client asked for, without a default port
	Path  string
	Query url.Values
}

// Server is the double: a TLS server that presents a certificate of its test CA for whatever
// name the client asks for, and a proxy in front of it. It is safe for concurrent use.
type Server struct {
	dir    string
	caFile string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	leafKy *ecdsa.PrivateKey
	tlsSrv *httptest.Server
	proxy  net.Listener
	wg     sync.WaitGroup

	mu       sync.Mutex
	leaves   map[string]*tls.Certificate
	certs    map[string][]byte // host+path -> PEM of a signing certificate
	failing  map[string]bool   // confirmation tokens answered with 500
	redirect map[string]string // host+path -> where it redirects
	requests []Request
	connects []string // the hosts of CONNECT requests, in order
	conns    map[net.Conn]bool
	closed   bool
}

// ErrUnsupported is returned by Setenv where Go ignores SSL_CERT_FILE: on macOS and Windows the
// platform verifier decides, so the test CA cannot be trusted the standard way.
var ErrUnsupported = errors.New("smntest: SSL_CERT_FILE is not honoured on " + runtime.GOOS)

// Start serves a double on loopback ports until Close.
func Start() (*Server, error) {
	s := &Server{
		leaves:   make(map[string]*tls.Certificate),
		certs:    make(map[string][]byte),
		failing:  make(map[string]bool),
		redirect: make(map[string]string),
		conns:    make(map[net.Conn]bool),
	}
	if err := s.newCA(); err != nil {
		return nil, err
	}
	s.tlsSrv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.tlsSrv.TLS = &tls.Config{GetCertificate: s.leaf, MinVersion: tls.VersionTLS12}
	s.tlsSrv.StartTLS()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.tlsSrv.Close()
		os.RemoveAll(s.dir)
		return nil, fmt.Errorf("smntest: proxy: %w", err)
	}
	s.proxy = ln
	s.wg.Add(1)
	go s.acceptProxy()
	return s, nil
}

// newCA makes the test CA and writes it where SSL_CERT_FILE will point.
func (s *Server) newCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("smntest: CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smntest CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("smntest: CA certificate: %w", err)
	}
	if s.ca, err = x509.ParseCertificate(der); err != nil {
		return fmt.Errorf("smntest: CA certificate: %w", err)
	}
	s.caKey = key
	if s.leafKy, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return fmt.Errorf("smntest: leaf key: %w", err)
	}
	if s.dir, err = os.MkdirTemp("", "smntest-"); err != nil {
		return fmt.Errorf("smntest: %w", err)
	}
	s.caFile = filepath.Join(s.dir, "ca.pem")
	bundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(s.caFile, bundle, 0o600); err != nil {
		os.RemoveAll(s.dir)
		return fmt.Errorf("smntest: %w", err)
	}
	return nil
}

// leaf presents a certificate for the name the client asked for, signed by the test CA: every
// host name is genuine here, so a client that wrongly accepts a URL is seen fetching it.
func (s *Server) leaf(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	if name == "" {
		name = "127.0.0.1"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.leaves[name]; ok {
		return c, nil
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(s.leaves) + 2)),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.ca, &s.leafKy.PublicKey, s.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: s.leafKy}
	s.leaves[name] = c
	return c, nil
}

// Environ returns the variables that make a Go program trust the test CA and send its HTTP(S)
// requests here, for a subprocess's environment (later entries win over earlier ones).
func (s *Server) Environ() []string {
	proxy := "http://" + s.proxy.Addr().String()
	return []string{
		"SSL_CERT_FILE=" + s.caFile,
		"HTTPS_PROXY=" + proxy, "https_proxy=" + proxy,
		"HTTP_PROXY=" + proxy, "http_proxy=" + proxy,
		"NO_PROXY=", "no_proxy=",
	}
}

// Supported reports ErrUnsupported where Environ cannot make a Go program trust the double.
func Supported() error {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" || runtime.GOOS == "windows" {
		return ErrUnsupported
	}
	return nil
}

// Setenv sets Environ in this process. Go caches the roots and the proxy settings on first use,
// so it must run before the first HTTPS request (in TestMain).
func (s *Server) Setenv() error {
	if err := Supported(); err != nil {
		return err
	}
	for _, kv := range s.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("smntest: %w", err)
		}
	}
	return nil
}

// Close stops the proxy and the server and removes the CA bundle.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.proxy.Close()
	s.wg.Wait()
	s.tlsSrv.Close()
	os.RemoveAll(s.dir)
}

// FailConfirmations makes confirmations carrying token answer 500, as SMN's console does for an
// expired one.
func (s *Server) FailConfirmations(token string) {
	s.mu.Lock()
	s.failing[token] = true
	s.mu.Unlock()
}

// Redirect makes a GET of fromURL's host and path answer 302 to toURL.
func (s *Server) Redirect(fromURL, toURL string) error {
	u, err := url.Parse(fromURL)
	if err != nil {
		return fmt.Errorf("smntest: redirect: %w", err)
	}
	s.mu.Lock()
	s.redirect[u.Host+u.Path] = toURL
	s.mu.Unlock()
	return nil
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Connects returns the host of every CONNECT the proxy received so far, oldest first.
func (s *Server) Connects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.connects...)
}

// Fetches counts the requests for host and path (any query).
func (s *Server) Fetches(host, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Host == host && r.Path == path {
			n++
		}
	}
	return n
}

// serve answers what went through a tunnel.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, "https", strings.TrimSuffix(r.Host, ":443"))
}

// answer records a request and answers it: with a published certificate, a redirect, a
// confirmation, or 404.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, via, host string) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Via: via, Host: host, Path: r.URL.Path, Query: r.URL.Query()})
	pemBytes, published := s.certs[host+r.URL.Path]
	failing := s.failing[r.URL.Query().Get("token")]
	to, redirected := s.redirect[host+r.URL.Path]
	s.mu.Unlock()
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case redirected:
		http.Redirect(w, r, to, http.StatusFound)
	case published:
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Write(pemBytes)
	case r.URL.Path == "/smn/subscription/confirm" && failing:
		http.Error(w, `{"error_code":"SMN.00010001","error_msg":"token expired"}`, http.StatusInternalServerError)
	case r.URL.Path == "/smn/subscription/confirm":
		// The shape the hertzbeat receiver expects of a successful confirmation (UNVERIFIED
		// beyond that: SMN's guide does not show the answer).
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"request_id":"6a63a18b8bab40ffb71ebd9cb80d0085","subscription_urn":%q}`,
			r.URL.Query().Get("topic_urn")+":d0c0f8f0e5b84b9e8d4f2c1a0b9e8d7c")
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) acceptProxy() {
	defer s.wg.Done()
	for {
		c, err := s.proxy.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.proxyConn(c)
		}()
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = true
	return true
}

func (s *Server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// proxyConn serves one proxy connection: CONNECT tunnels to the TLS server whatever the target,
// and plain-HTTP requests are answered here, as the TLS server would.
func (s *Server) proxyConn(c net.Conn) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	for req.Method != http.MethodConnect {
		rec := httptest.NewRecorder()
		s.answer(rec, req, "http", strings.TrimSuffix(req.URL.Host, ":80"))
		io.Copy(io.Discard, req.Body)
		resp := rec.Result()
		resp.ContentLength = int64(rec.Body.Len()) // else Write marks it close-delimited
		if resp.Write(c) != nil {
			return
		}
		if req, err = http.ReadRequest(br); err != nil {
			return
		}
	}
	host, _, err := net.SplitHostPort(req.Host)
	if err != nil {
		host = req.Host
	}
	s.mu.Lock()
	s.connects = append(s.connects, host)
	s.mu.Unlock()
	up, err := net.Dial("tcp", s.tlsSrv.Listener.Addr().String())
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if !s.track(up) {
		up.Close()
		return
	}
	defer s.untrack(up)
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		io.Copy(up, br) // br holds anything the client sent after the CONNECT
		up.Close()
		close(done)
	}()
	io.Copy(c, up)
	c.Close()
	<-done
}

// Message is an SMN HTTPS push as SMN's guide ("HTTP(S)消息格式") names its fields.
type Message struct {
	Type             string `json:"type"`
	Signature        string `json:"signature"`
	SignatureVersion string `json:"signature_version,omitempty"`
	Subject          string `json:"subject,omitempty"`
	TopicURN         string `json:"topic_urn"`
	MessageID        string `json:"message_id"`
	Message          string `json:"message"`
	SubscribeURL     string `json:"subscribe_url,omitempty"`
	UnsubscribeURL   string `json:"unsubscribe_url,omitempty"`
	SigningCertURL   string `json:"signing_cert_url"`
	Timestamp        string `json:"timestamp"`
}

// StringToSign is the text SMN signs ("校验消息签名"): "key\nvalue\n" for each key in order;
// a notification's subject only when it is not empty, and the confirmations' subscribe_url.
func (m *Message) StringToSign() string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("message", m.Message)
	add("message_id", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("subject", m.Subject)
		}
	} else {
		add("subscribe_url", m.SubscribeURL)
	}
	add("timestamp", m.Timestamp)
	add("topic_urn", m.TopicURN)
	add("type", m.Type)
	return b.String()
}

// Signer signs as SMN does, with a key whose certificate the double publishes at CertURL.
type Signer struct {
	CertURL string
	key     crypto.Signer
}

// NewSigner publishes a self-signed certificate for key at certURL (host and path are what count,
// over https and plain http alike) and returns a Signer with it. SMN's captured signatures are RSA-2048 with
// SHA-256; an ECDSA P-256 key signs much faster, for fuzzing.
func (s *Server) NewSigner(certURL string, key crypto.Signer) (*Signer, error) {
	u, err := url.Parse(certURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("smntest: certificate URL %q: want an absolute URL", certURL)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "SMN signing certificate (smntest)"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	switch key.(type) {
	case *rsa.PrivateKey:
		tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	case *ecdsa.PrivateKey:
		tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	default:
		return nil, fmt.Errorf("smntest: key %T: want RSA or ECDSA", key)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("smntest: signing certificate: %w", err)
	}
	host := strings.TrimSuffix(strings.TrimSuffix(u.Host, ":443"), ":80")
	s.mu.Lock()
	s.certs[host+u.Path] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	s.mu.Unlock()
	return &Signer{CertURL: certURL, key: key}, nil
}

// Sign sets m's signing_cert_url to the signer's and signs m.
func (g *Signer) Sign(m *Message) error {
	m.SigningCertURL = g.CertURL
	sig, err := g.SignString(m.StringToSign())
	if err != nil {
		return err
	}
	m.Signature = sig
	return nil
}

// SignString signs text and returns the signature as SMN sends it, in standard base64.
func (g *Signer) SignString(text string) (string, error) {
	digest := sha256.Sum256([]byte(text))
	sig, err := g.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("smntest: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}
