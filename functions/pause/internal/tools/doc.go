// Package tools holds the programs that build, run and measure drpause but are not part of it:
// the demo, the benchmark harness and its reference programs, the event re-signer, the fake
// Lambda API and the fake Secrets Manager. None of it ships: the binary's packages never import
// anything under tools, and a test holds them to that.
package tools
