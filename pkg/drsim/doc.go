// Package drsim simulates the GaussDB(DWS) disaster-recovery API that package drapi calls, so
// tests, demos and local runs exercise the real client, signing included, without a cloud account.
// A Sim is an http.Handler holding a few seeded DR tasks, their state machine, counters and a
// queue of injected faults; Start serves one on a loopback port.
package drsim

import "github.com/dws-dr/drpause/pkg/drapi"

// ProjectID is the project the simulator serves unless Options say otherwise; it is the one the
// API documentation uses in its examples.
const ProjectID = "89cd04f168b84af6be287f71730fdb4b"

// Local credentials the simulator accepts by default. They are fixed, public test values that
// open nothing but a simulator: never configure them against the real API.
const (
	AccessKey = "DRSIMLOCALACCESSKEY0"
	SecretKey = "local-simulator-sk"
)

// LocalCredentials returns AccessKey and SecretKey as drapi.Credentials.
func LocalCredentials() drapi.Credentials {
	return drapi.Credentials{AccessKey: AccessKey, SecretKey: SecretKey}
}

// Ids of the seeded DR tasks, named after their status at start.
const (
	SeedRunning    = "e59d6b86-9072-46eb-a996-13f8b44994c1"
	SeedStopped    = "3c1f7a2e-5b8d-4e6f-9a0c-7d2b1e4f8a63"
	SeedStopFailed = "a7e4c2d9-1f3b-4c8e-b6a5-0d9e8f7c6b21"
	SeedUnstart    = "0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d65"
)
