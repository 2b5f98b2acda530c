package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/dws-dr/drpause/pkg/drsim"
)

// countingSim is the DR API simulator served by the harness rather than inside the binary, so
// its CPU time is not the binary's and the connections the binary opens to it can be counted.
type countingSim struct {
	sim      *drsim.Sim
	srv      *httptest.Server
	conns    atomic.Int64 // TCP connections accepted
	requests atomic.Int64
}

func startSim() *countingSim {
	s := &countingSim{sim: drsim.New(drsim.Options{StoppingFor: drsim.Immediate})}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.sim.ServeHTTP(w, r)
	}))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start() // on 127.0.0.1
	return s
}

// env points the binary at the simulator with credentials it accepts, as a real deployment
// points it at DWS.
func (s *countingSim) env() []string {
	return []string{
		"DR_ENDPOINT=" + s.srv.URL,
		"DR_PROJECT_ID=" + drsim.ProjectID,
		"HUAWEICLOUD_SDK_AK=" + drsim.AccessKey,
		"HUAWEICLOUD_SDK_SK=" + drsim.SecretKey,
	}
}

func (s *countingSim) close() { s.srv.Close() }
