package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dws-dr/drpause/pkg/drapi"
)

// readPermission is what the list call needs: the identity-policy action of ListDisasterRecover
// and ShowDisasterDetail (see functions/pause/deploy/functiongraph/README.md).
const readPermission = "dws:cluster:getDisasterRecovery"

// checkDR makes one signed list call: it proves the credentials, the project and the read
// permission. The pause permission cannot be proved without pausing, which the check never does.
func checkDR(ctx context.Context, cfg Config) Result {
	r := Result{Name: NameDRAPI}
	switch {
	case cfg.DR == nil:
		r.Detail = "not checked: no DR API client was built"
		return r
	case !cfg.Simulated && cfg.DRCredentials == "":
		r.Detail = "not checked: no DR API credentials here: HUAWEICLOUD_SDK_AK/SK are not set, and a FunctionGraph agency " +
			"hands its temporary credentials only to requests; to check the agency's permission, export them as " +
			"HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_SECURITY_TOKEN and run the check again"
		return r
	}
	items, err := cfg.DR.List(ctx, drapi.ListFilter{})
	if err == nil {
		r.OK = true
		what := "credentials accepted and " + readPermission + " granted"
		if cfg.Simulated {
			what = "the built-in simulator answered (DR_SIMULATE: no real DR API was called)"
		}
		r.Detail = fmt.Sprintf("OK: %s: a signed list call answered with %d DR %s; dws:cluster:pauseDisasterRecovery "+
			"can only be proved by a pause, which the check never sends", what, len(items), plural(len(items), "task", "tasks"))
		return r
	}
	r.Detail = drProblem(err)
	return r
}

// drProblem says what to fix after the list call failed with err. DWS's answer is classified by
// its status and code, as drapi does: 401, or APIG(W).0301 whatever the status, is a signature
// or token the gateway rejected; any other 403 is a permission IAM did not grant. Which code DWS
// gives a missing fine-grained permission is UNVERIFIED (no account to try it with), so a 403
// names the permission, and the project, whatever its code.
func drProblem(err error) string {
	apiErr, _ := errors.AsType[*drapi.Error](err)
	switch {
	case errors.Is(err, drapi.ErrNoCredentials):
		return "not checked: " + err.Error()
	case apiErr == nil && errors.Is(err, context.DeadlineExceeded):
		return "the DWS API did not answer in time: check DR_REGION or DR_ENDPOINT, and that this network may reach it over HTTPS"
	case apiErr == nil:
		return "the DWS API is unreachable: " + err.Error() + ": check DR_REGION or DR_ENDPOINT, and that this network may reach it over HTTPS"
	case errors.Is(err, drapi.ErrThrottled):
		return "throttled by the DWS API (" + answered(apiErr) + "): run the check again in a minute"
	case errors.Is(err, drapi.ErrAuth) && apiErr.HTTPStatus == http.StatusForbidden && !strings.HasSuffix(apiErr.Code, ".0301"):
		return "permission " + readPermission + " missing (" + answered(apiErr) + "): grant it to the IAM user or agency " +
			"(functions/pause/deploy/functiongraph/dws-dr-identity-policy.json), and check that DR_PROJECT_ID is the project of the credentials"
	case errors.Is(err, drapi.ErrAuth):
		return "credentials rejected (" + answered(apiErr) + "): check HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and, for temporary " +
			"credentials, HUAWEICLOUD_SDK_SECURITY_TOKEN; after 5 rejected signatures in a row the key is locked for 5 minutes"
	case errors.Is(err, drapi.ErrNotFound):
		return "the DWS API does not know this project or path (" + answered(apiErr) + "): check DR_PROJECT_ID and DR_REGION or DR_ENDPOINT"
	case apiErr.HTTPStatus >= 500:
		return "the DWS API failed (" + answered(apiErr) + "): run the check again later"
	default:
		return "the DWS API refused the list call (" + answered(apiErr) + ")"
	}
}

// answered quotes DWS's answer as support asks for it: status, code, message, X-Request-Id.
// drapi has already made each field one short line.
func answered(e *drapi.Error) string {
	s := fmt.Sprintf("DWS answered HTTP %d", e.HTTPStatus)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += " " + e.Message
	}
	if e.RequestID != "" {
		s += ", X-Request-Id " + e.RequestID
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
