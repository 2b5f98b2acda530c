// Command bareserver reads each request's body and answers 200: the most requests per second a
// net/http server on this machine can answer, the limit drpause's throughput is compared with.
// It listens on 127.0.0.1:$PORT (0, the default, picks a free port) and prints the address as
// drpause does, in a JSON "listening" line.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func main() {
	if err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
		w.WriteHeader(http.StatusOK)
	})); err != nil {
		fmt.Fprintln(os.Stderr, "bareserver:", err)
		os.Exit(1)
	}
}

func serve(h http.Handler) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", os.Getenv("PORT")))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Printf("{\"msg\":\"listening\",\"addr\":%q}\n", ln.Addr().String())
	return http.Serve(ln, h)
}
