// Package version is the version the binary was built as, so that `-version`, the start-up
// log line and GET /healthz all name the same build. The Makefile sets it at link time from
// `git describe --tags --always --dirty`; a plain `go build` says "dev".
package version

// value is replaced by the linker:
//
//	-ldflags "-X github.com/dws-dr/drpause/functions/pause/internal/version.value=v1.2.3"
//
// -X applies only to a string variable initialised with a constant, as this one is.
var value = "dev"

// String returns the version, "dev" when the build did not set one.
func String() string { return value }
