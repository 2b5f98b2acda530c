package drapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/dws-dr/drpause/pkg/aksk"
	"github.com/dws-dr/drpause/pkg/drapi"
)

func ExampleClient_PauseAndFollow() {
	const id = "e59d6b86-9072-46eb-a996-13f8b44994c1"
	// A stand-in for DWS: the task is running until paused, then stopping, then stopped.
	dws := httptest.NewServer(fakeDWS(id))
	defer dws.Close()

	c, err := drapi.New(drapi.Config{
		ProjectID:   "89cd04f168b84af6be287f71730fdb4b",
		Endpoint:    dws.URL, // leave empty and set Region to reach https://dws.{region}.myhuaweicloud.com
		Credentials: drapi.Credentials{AccessKey: "AK", SecretKey: "SK"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	out, err := c.PauseAndFollow(ctx, id, drapi.FollowOptions{
		MinInterval: 10 * time.Millisecond, // seconds against the real API
		OnStatus:    func(s drapi.Status) { fmt.Println("status:", s) },
	})
	var apiErr *drapi.Error
	switch {
	case errors.As(err, &apiErr):
		fmt.Println("dws refused:", apiErr.Code, "request id", apiErr.RequestID)
	case err != nil:
		fmt.Println("pause failed:", err)
	default:
		fmt.Println("paused", out.PauseID, "from", out.Initial, "request id", out.RequestID)
	}
	// Output:
	// status: running
	// status: stopping
	// status: stopped
	// paused e59d6b86-9072-46eb-a996-13f8b44994c1 from running request id req-pause
}

// fakeDWS serves the detail and pause calls of one DR task, checking signatures as DWS does.
func fakeDWS(id string) http.Handler {
	var mu sync.Mutex
	status, polls := drapi.StatusRunning, 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := func(ak string) (string, bool) { return "SK", ak == "AK" }
		if _, err := aksk.Verify(r, nil, secret); err != nil {
			http.Error(w, `{"error_code":"APIGW.0301","error_msg":"signature rejected"}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/"+id+"/pause"):
			status = drapi.StatusStopping
			w.Header().Set("X-Request-Id", "req-pause")
			fmt.Fprintf(w, `{"disaster_recovery":{"id":%q}}`, id)
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+id):
			if status == drapi.StatusStopping {
				if polls++; polls == 2 {
					status = drapi.StatusStopped
				}
			}
			fmt.Fprintf(w, `{"disaster_recovery":{"id":%q,"status":%q}}`, id, status)
		default:
			http.Error(w, `{"error_code":"DWS.10101","error_msg":"not found"}`, http.StatusBadRequest)
		}
	})
}
