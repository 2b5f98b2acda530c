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

// The demo's story through the real client: a pause followed to stopped, then a resume followed
// to running, each sent once.
func Example_pauseThenResume() {
	srv, err := drsim.Start(drsim.Options{StoppingFor: drsim.Immediate, StartingFor: drsim.Immediate})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := drapi.New(srv.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	opt := drapi.FollowOptions{MinInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond}

	paused, err := c.PauseAndFollow(ctx, drsim.SeedRunning, opt)
	if err != nil {
		log.Fatal(err)
	}
	resumed, err := c.StartAndFollow(ctx, drsim.SeedRunning, opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pause:", paused.Status, srv.Sim.Count(drsim.RoutePause))
	fmt.Println("resume:", resumed.Status, srv.Sim.Count(drsim.RouteStart))
	// Output:
	// pause: stopped 1
	// resume: running 1
}
