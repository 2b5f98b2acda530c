package drsim

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// Server is a Sim served over HTTP on a loopback port.
type Server struct {
	Sim *Sim
	url string
	srv *http.Server
}

// Start serves New(opts) on a free 127.0.0.1 port until Close. It is for tests and for the
// binary's DR_SIMULATE mode.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("drsim: listen: %w", err)
	}
	sim := New(opts)
	s := &Server{
		Sim: sim,
		url: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second},
	}
	// Serve returns ErrServerClosed after Close, or the listener's error; either way the
	// server is done and callers learn it from failing requests.
	go s.srv.Serve(ln)
	return s, nil
}

// URL returns the base URL, "http://127.0.0.1:port", to use as the DWS endpoint.
func (s *Server) URL() string { return s.url }

// ClientConfig returns a drapi.Config that reaches this simulator with credentials it accepts.
func (s *Server) ClientConfig() drapi.Config {
	return drapi.Config{
		ProjectID:   s.Sim.projectID,
		Endpoint:    s.url,
		Credentials: s.Sim.creds,
	}
}

// Close stops the server, dropping open connections.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("drsim: close: %w", err)
	}
	return nil
}
