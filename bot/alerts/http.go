package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
)

// errorBody mirrors the error answer of /invoke, so every route of the product fails alike.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// reject answers a request that was not acted on; the reason never includes secrets or the body.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, source string, status int, reason string) {
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "alert rejected",
		slog.String("source", source), slog.Int("status", status), slog.String("reason", reason))
	var b errorBody
	b.Error.Code = codeFor(status)
	b.Error.Message = reason
	writeJSON(w, status, b)
}

// admit is the gate every alert route opens with: POST only, and only while the route's
// credential is configured (disabled, it answers 403 naming what is missing). It reports
// whether the request may go on; when not, it has answered.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, source string, enabled bool, missing string) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, source, http.StatusMethodNotAllowed, "only POST")
		return false
	}
	if !enabled {
		h.reject(w, r, source, http.StatusForbidden, "route disabled: no "+missing+" configured")
		return false
	}
	return true
}

// answer runs the decision under the answer budget, logs it and answers the sender: 200 once a
// decision is made, 503 when the ledger could not be reached and nothing was done, or when
// Actions failed and nothing reached Slack, so a retry is safe. The 503 body stays generic: the
// ledger's name and the cause are in the log line.
func (h *Handler) answer(ctx context.Context, w http.ResponseWriter, b batch) {
	res, err := h.decide(ctx, b)
	h.audit(ctx, b.source, res, err)
	if err != nil {
		var e errorBody
		e.Error.Code = codeFor(http.StatusServiceUnavailable)
		e.Error.Message = "the alert could not be delivered to Slack; retry"
		var le *ledgerError
		if errors.As(err, &le) {
			e.Error.Message = "temporarily unavailable: nothing was done; retry"
		}
		writeJSON(w, http.StatusServiceUnavailable, e)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// readBody reads the whole body up to maxBody. It reports the status to answer on failure.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, http.StatusRequestEntityTooLarge, errors.New("body larger than " + strconv.Itoa(maxBody) + " bytes")
		}
		return nil, http.StatusBadRequest, errors.New("body could not be read")
	}
	return body, http.StatusOK, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the sender has gone if this fails; nothing left to do
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	default:
		return "unavailable"
	}
}
