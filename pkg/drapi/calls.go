package drapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Get returns the detail of DR task id.
//
// API doc: https://console.huaweicloud.com/apiexplorer/#/openapi/DWS/doc?api=ShowDisasterDetail
func (c *Client) Get(ctx context.Context, id string) (*Detail, error) {
	d, _, err := c.get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get disaster recovery %.64q: %w", id, err)
	}
	return d, nil
}

// get is Get that also returns the answer's X-Request-Id, for Outcome.
func (c *Client) get(ctx context.Context, id string) (*Detail, string, error) {
	if err := ValidateID(id); err != nil {
		return nil, "", err
	}
	var body struct {
		DR *Detail `json:"disaster_recovery"`
	}
	reqID, err := c.retryGET(ctx, c.drPath(id), nil, &body)
	if err != nil {
		return nil, reqID, err
	}
	if body.DR == nil {
		return nil, reqID, fmt.Errorf("%w: no disaster_recovery object", errMalformed)
	}
	return body.DR, reqID, nil
}

// List returns the project's DR tasks matching f.
//
// API doc: https://console.huaweicloud.com/apiexplorer/#/openapi/DWS/doc?api=ListDisasterRecover
func (c *Client) List(ctx context.Context, f ListFilter) ([]Summary, error) {
	q := url.Values{}
	for _, p := range []struct{ key, val string }{
		{"id", f.ID},
		{"primary_cluster_id", f.PrimaryClusterID},
		{"standby_cluster_id", f.StandbyClusterID},
	} {
		if p.val == "" {
			continue
		}
		// Cluster ids are UUIDs too; refusing anything else keeps odd input off the wire.
		if err := ValidateID(p.val); err != nil {
			return nil, fmt.Errorf("list disaster recoveries: %s %.64q: %w", p.key, p.val, err)
		}
		q.Set(p.key, p.val)
	}
	var body struct {
		// The documented key is singular although it holds an array.
		DR []Summary `json:"disaster_recovery"`
	}
	if _, err := c.retryGET(ctx, "/v2/"+c.projectID+"/disaster-recoveries", q, &body); err != nil {
		return nil, fmt.Errorf("list disaster recoveries: %w", err)
	}
	return body.DR, nil
}

// Pause sends the stop request for DR task id and returns the id in the answer. A 200 means DWS
// accepted the request; the task then moves to stopping and stopped.
//
// Pause is never sent twice blindly. After throttling it is sent again, a bounded number of
// times. After an ambiguous failure (a timeout, a reset connection, a 5xx or an unreadable 2xx)
// the status is read back: if the task is stopping or stopped the pause took effect and Pause
// returns id; otherwise it returns the original error.
//
// API doc: https://console.huaweicloud.com/apiexplorer/#/openapi/DWS/doc?api=PauseDisasterRecovery
func (c *Client) Pause(ctx context.Context, id string) (string, error) {
	r, err := c.post(ctx, opPause, id)
	if err != nil {
		return "", fmt.Errorf("pause disaster recovery %.64q: %w", id, err)
	}
	return r.id, nil
}

// Start sends the start request for DR task id, resuming replication, and returns the id in
// the answer. A 200 means DWS accepted the request; the task then moves to starting and
// running, or start_failed. DWS accepts it from unstart, start_failed and stopped.
//
// Start is sent as Pause is, never twice blindly: again only after throttling, and after an
// ambiguous failure the status is read back, where starting or running means it took effect.
//
// API doc: https://console.huaweicloud.com/apiexplorer/#/openapi/DWS/doc?api=StartDisasterRecovery
func (c *Client) Start(ctx context.Context, id string) (string, error) {
	r, err := c.post(ctx, opStart, id)
	if err != nil {
		return "", fmt.Errorf("start disaster recovery %.64q: %w", id, err)
	}
	return r.id, nil
}

// postResult is what one pause or start observed, for Outcome.
type postResult struct {
	id        string // the id the answer named, or the DR id when the status was read back
	requestID string // X-Request-Id of the last POST
	attempts  int    // POSTs sent
	status    Status // the status read back after an ambiguous failure; empty otherwise
}

// post sends op for DR task id, the way Pause documents, and reports what it observed.
func (c *Client) post(ctx context.Context, op *operation, id string) (postResult, error) {
	var r postResult
	if err := ValidateID(id); err != nil {
		return r, err
	}
	for {
		var body struct {
			DR struct {
				ID string `json:"id"`
			} `json:"disaster_recovery"`
		}
		r.attempts++
		reqID, err := c.send(ctx, http.MethodPost, c.drPath(id)+"/"+op.name, nil, &body)
		r.requestID = reqID
		if err == nil && body.DR.ID == "" {
			err = fmt.Errorf("%w: no disaster_recovery id", errMalformed)
		}
		if err == nil {
			r.id = body.DR.ID
			return r, nil
		}
		if e := (*Error)(nil); errors.As(err, &e) {
			r.requestID = e.RequestID
		}
		// A throttled call never reached DWS, so sending it again is safe.
		if errors.Is(err, ErrThrottled) && r.attempts < c.maxAttempts && ctx.Err() == nil {
			if c.waitToRetry(ctx, r.attempts, err) == nil {
				continue
			}
		}
		if !ambiguous(err) || ctx.Err() != nil {
			return r, withAttempts(err, r.attempts)
		}
		status, tookEffect := c.readBackAmbiguous(ctx, op, id)
		if !tookEffect {
			return r, withAttempts(err, r.attempts)
		}
		r.id, r.status = id, status
		return r, nil
	}
}

// drPath is the path of one DR task; id must have passed ValidateID.
func (c *Client) drPath(id string) string {
	return "/v2/" + c.projectID + "/disaster-recovery/" + id
}
