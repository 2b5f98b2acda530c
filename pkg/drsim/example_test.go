package drsim_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drsim"
)

// A test pauses a seeded task through the real client, loses the pause's answer on the way
// back, and checks that exactly one pause was sent.
func Example() {
	srv, err := drsim.Start(drsim.Options{StoppingFor: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.Sim.Inject(drsim.Fault{Route: drsim.RoutePause, Kind: drsim.FaultLost, Times: 1})

	c, err := drapi.New(srv.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}
	out, err := c.PauseAndFollow(context.Background(), drsim.SeedRunning,
		drapi.FollowOptions{MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Status, srv.Sim.Count(drsim.RoutePause))
	// Output: stopped 1
}
