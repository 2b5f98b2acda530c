package lambdaentry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/dws-dr/drpause/functions/pause/internal/invoke"
)

// Handler is the function the Lambda runtime loop calls, for every kind of event the function
// receives. Its fields are set once, before the first event.
type Handler struct {
	HTTP   http.Handler    // the product: every route of HTTP mode
	Invoke *invoke.Service // direct invocations; nil refuses them
	Jobs   JobRunner       // deferred work this function sent itself; nil refuses it
	// Check answers {"action": "check"}, the self-check (package check); nil refuses it.
	Check  func(ctx context.Context) any
	Logger *slog.Logger // nil discards
}

// probe holds the fields that tell the event kinds apart.
type probe struct {
	Version        string          `json:"version"`
	HTTPMethod     string          `json:"httpMethod"`
	Resource       string          `json:"resource"`
	Job            json.RawMessage `json:"drpause_job"`
	ID             json.RawMessage `json:"disaster_recovery_id"`
	Action         string          `json:"action"`
	RequestContext struct {
		HTTP json.RawMessage `json:"http"`
		ELB  json.RawMessage `json:"elb"`
	} `json:"requestContext"`
}

// ErrUnknownEvent is returned for an event that is none of the kinds the function serves.
var ErrUnknownEvent = errors.New("lambdaentry: unknown event: want a Function URL, HTTP API or REST API request, a direct invocation or a job")

// Handle serves one event. HTTP events answer in their own format, whatever the status; a
// direct invocation answers the /invoke JSON (an error object on failure, so the caller's
// output file holds the reason); a job returns an error when it was refused or failed.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (any, error) {
	var p probe
	if err := json.Unmarshal(event, &p); err != nil {
		return nil, fmt.Errorf("lambdaentry: decode event: %w", err)
	}
	switch {
	case p.Version == "2.0" && len(p.RequestContext.HTTP) > 0:
		var ev events.LambdaFunctionURLRequest
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, fmt.Errorf("lambdaentry: decode v2 event: %w", err)
		}
		return serveV2(ctx, h.HTTP, &ev), nil
	case len(p.RequestContext.ELB) > 0:
		return nil, fmt.Errorf("lambdaentry: load balancer events are not supported: use a Function URL")
	case p.HTTPMethod != "" && p.Resource != "":
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, fmt.Errorf("lambdaentry: decode v1 event: %w", err)
		}
		return serveV1(ctx, h.HTTP, &ev), nil
	case len(p.Job) > 0:
		if h.Jobs == nil {
			return nil, errors.New("lambdaentry: no job runner")
		}
		return nil, h.Jobs.RunSealed(ctx, event)
	case p.Action == actionCheck && len(p.ID) == 0:
		return h.check(ctx, event), nil
	case len(p.ID) > 0:
		return h.direct(ctx, event), nil
	}
	return nil, ErrUnknownEvent
}

// actionCheck is the action of a direct invocation asking for the self-check.
const actionCheck = "check"

// check answers {"action": "check"} with the self-check's report. Any other field is refused,
// so that a request meant as something else is never taken for a check.
func (h *Handler) check(ctx context.Context, event json.RawMessage) any {
	var req struct {
		Action string `json:"action"`
	}
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return invoke.ErrorBody{Error: &invoke.Error{Code: "invalid_request", Message: `want {"action": "check"} alone: ` + err.Error()}}
	}
	if h.Check == nil {
		return invoke.ErrorBody{Error: &invoke.Error{Code: "disabled", Message: "the self-check is not available"}}
	}
	return h.Check(ctx)
}

// direct answers like POST /invoke without a token: whoever could invoke the function was
// already authorized by IAM.
func (h *Handler) direct(ctx context.Context, event json.RawMessage) any {
	if h.Invoke == nil {
		return invoke.ErrorBody{Error: &invoke.Error{Code: "disabled", Message: "direct invocations are disabled"}}
	}
	req, derr := invoke.Decode(bytes.NewReader(event))
	if derr != nil {
		derr.Simulated = h.Invoke.Simulated()
		return invoke.ErrorBody{Error: derr}
	}
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	resp, err := h.Invoke.Do(ctx, req)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "direct invocation failed",
			slog.String("disaster_recovery_id", req.DisasterRecoveryID), slog.String("code", err.Code),
			slog.String("request_id", err.RequestID), slog.String("error", err.Message))
		return invoke.ErrorBody{Error: err}
	}
	log.LogAttrs(ctx, slog.LevelInfo, "direct invocation done",
		slog.String("disaster_recovery_id", req.DisasterRecoveryID), slog.Bool("wait", req.Wait),
		slog.Bool("dry_run", req.DryRun), slog.String("status", string(resp.Status)),
		slog.String("request_id", resp.RequestID))
	return resp
}
