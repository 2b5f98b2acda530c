package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/dws-dr/drpause/pkg/drapi"
	"github.com/dws-dr/drpause/pkg/drresult"
	"github.com/dws-dr/drpause/pkg/ledger"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	goldenID  = "e59d6b86-9072-46eb-a996-13f8b44994c1"
	goldenID2 = "3c1f7a2e-5b8d-4e6f-9a0c-7d2b1e4f8a63"
)

var goldenAt = time.Date(2026, 11, 25, 22, 30, 0, 0, time.UTC)

// hostile is what a hostile or broken DR API might put in any text field: a channel mention, a
// disguised link, an entity and a backquote that would end a code span.
const hostile = "<!channel> <https://x|y> &amp; `tick`"

// goldenCard is the card id of the golden cards; a real card's is random.
const goldenCard = "CARDGOLDEN0000000000000000"

func goldenDetail() *drapi.Detail {
	return &drapi.Detail{
		ID: goldenID, Name: "dr-orders <prod>", DRType: "region", Status: drapi.StatusRunning,
		Primary: drapi.Cluster{Name: "dws-orders-a", Region: "cn-north-4", Status: "backuping",
			LastSuccessTime: "2026-11-25T22:10:00"},
		Standby: drapi.Cluster{Name: "dws-orders-b", Region: "cn-east-3", Status: "restoring",
			LastSuccessTime: "2026-11-25T22:10:00"},
		SyncPeriod: "30m", StartTime: "2026-01-02T03:04:05",
	}
}

func goldenJob() Job {
	return Job{Kind: JobPause, ID: goldenID, Requester: "U1", Approver: "U2", RequestedAt: goldenAt}
}

// goldenResumeJob is goldenJob resuming the DR.
func goldenResumeJob() Job {
	job := goldenJob()
	job.Kind = JobResume
	return job
}

// goldenStoppedDetail is goldenDetail paused, as a resume card finds it.
func goldenStoppedDetail() *drapi.Detail {
	d := goldenDetail()
	d.Status = drapi.StatusStopped
	return d
}

// resumeResult classifies a resume's ending as runOp does.
func resumeResult(out drapi.Outcome, err error, stop drresult.Stop) drresult.Result {
	return drresult.Classify(drresult.Resume, out, err, stop)
}

func goldenOutcome() drapi.Outcome {
	return drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true, Initial: drapi.StatusRunning,
		Status: drapi.StatusStopped, RequestID: "req-0001", Attempts: 1, Elapsed: 42 * time.Second}
}

func apiError(status int, code, msg string, attempts int) error {
	return fmt.Errorf("pause disaster recovery %q: %w", goldenID,
		&drapi.Error{HTTPStatus: status, Code: code, Message: msg, RequestID: "req-err-1", Attempts: attempts})
}

// refusedError is what PauseAndFollow returns when DWS refused the pause and the status read
// back was now.
func refusedError(status int, code, msg string, now drapi.Status) error {
	return &drapi.RefusedError{ID: goldenID, Op: "pause", Status: now,
		Err: &drapi.Error{HTTPStatus: status, Code: code, Message: msg, RequestID: "req-err-1", Attempts: 1}}
}

// pauseResult classifies a pause's ending as runPause does.
func pauseResult(out drapi.Outcome, err error, stop drresult.Stop) drresult.Result {
	return drresult.Classify(drresult.Pause, out, err, stop)
}

func goldenProposal(ids ...string) Proposal {
	return Proposal{
		Channel: chanID, Source: "alertmanager", Title: "DWSReplicationLagHigh",
		IDs:    ids,
		Labels: map[string]string{"severity": "critical", "cluster": "dws-orders-a"},
		Links: []Link{{Text: "Source", URL: "https://prometheus.example/graph?g0.expr=lag"},
			{Text: "Silence", URL: "https://alertmanager.example/#/silences/new"}},
		Dropped: []string{"0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d65"},
	}
}

// TestGolden pins every kind of message the bot sends. Refresh with go test ./bot -update.
func TestGolden(t *testing.T) {
	failed := drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning, Status: drapi.StatusRunning,
		RequestID: "req-0002", Elapsed: 3 * time.Second}
	stillStopped := drapi.Outcome{ID: goldenID, Initial: drapi.StatusStopped, Status: drapi.StatusStopped,
		RequestID: "req-0104", Elapsed: 3 * time.Second}
	many := make([]drapi.Summary, 0, 120)
	for i := range 120 {
		many = append(many, drapi.Summary{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i),
			Name: fmt.Sprintf("dr-%03d", i), Status: drapi.StatusRunning})
	}
	tests := []struct {
		name string
		msg  slackMessage
	}{
		{"help", helpMessage("/dr", false)},
		{"help_resume", helpMessage("/dr", true)},
		{"unknown_subcommand", unknownMessage("/dr", false, "", "subcommand", "unpause")},
		{"unknown_option", unknownMessage("/dr", false, "pause", "option", "—dry-run")},
		{"missing_id_status", missingIDMessage("/dr", "status")},
		{"invalid_id", invalidIDMessage("not-a-uuid")},
		{"missing_id", invalidIDMessage("")},
		{"refused_user", refusalMessage(&refusal{reason: "user", subject: "UX", setting: "DR_ALLOWED_USERS"})},
		{"refused_channel", refusalMessage(&refusal{reason: "channel", subject: "CX", setting: "DR_ALLOWED_CHANNELS"})},
		{"refused_id", refusalMessage(&refusal{reason: "id", subject: goldenID, setting: "DR_ALLOWED_IDS"})},
		{"refused_four_eyes", refusalMessage(&refusal{reason: "four_eyes", subject: "U1", setting: "DR_FOUR_EYES"})},
		{"card", cardMessage(card{Card: goldenCard, Channel: chanID, Team: teamID,
			ID: goldenID, Requester: "U1", RequestedAt: goldenAt, Detail: goldenDetail()}, testKey)},
		{"card_four_eyes_slow", cardMessage(card{Card: goldenCard, Channel: chanID, Team: teamID, ID: goldenID, Requester: "U1", RequestedAt: goldenAt,
			Lookup: "unknown (DR API slow)", FourEyes: true}, testKey)},
		{"cancelled", cancelledMessage(pauseOp, goldenID, "<@U1>", "U2", goldenAt)},
		{"pausing", pausingMessage(goldenJob(), 10*time.Minute)},
		{"progress", progressMessage(goldenJob(), drapi.StatusStopping, 4*time.Second)},
		{"final_stopped", finalMessage(goldenJob(), pauseResult(goldenOutcome(), nil, drresult.NotStopped), 10*time.Minute)},
		{"final_already_stopped", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, Initial: drapi.StatusStopped,
			Status: drapi.StatusStopped, RequestID: "req-0003"}, nil, drresult.NotStopped), 10*time.Minute)},
		{"final_another_pause_first", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning,
			Status: drapi.StatusStopped, Attempts: 1, RequestID: "req-3"}, nil, drresult.NotStopped), 10*time.Minute)},
		{"final_already_stopping", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, Initial: drapi.StatusStopping,
			Status: drapi.StatusStopped, RequestID: "req-0004", Elapsed: 9 * time.Second}, nil, drresult.NotStopped), 10*time.Minute)},
		{"final_not_found", finalMessage(goldenJob(), pauseResult(failed,
			apiError(400, "DWS.10101", "The disaster recovery task does not exist.", 1), drresult.NotStopped), 10*time.Minute)},
		{"final_wrong_status", finalMessage(goldenJob(), pauseResult(failed,
			&drapi.StatusError{ID: goldenID, Op: "pause", Status: drapi.StatusUnstart}, drresult.NotStopped), 10*time.Minute)},
		{"final_stop_failed", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true,
			Initial: drapi.StatusRunning, Status: drapi.StatusStopFailed, RequestID: "req-0005", Elapsed: time.Minute},
			&drapi.StatusError{ID: goldenID, Op: "follow", Status: drapi.StatusStopFailed}, drresult.NotStopped), 10*time.Minute)},
		{"final_throttled", finalMessage(goldenJob(), pauseResult(failed,
			apiError(429, "APIG.0308", "The throttling threshold has been reached.", 4), drresult.NotStopped), 10*time.Minute)},
		{"final_auth", finalMessage(goldenJob(), pauseResult(failed,
			apiError(401, "APIGW.0301", "Incorrect IAM authentication information.", 1), drresult.NotStopped), 10*time.Minute)},
		{"final_server_error", finalMessage(goldenJob(), pauseResult(failed,
			apiError(500, "DWS.9999", "Internal error.", 1), drresult.NotStopped), 10*time.Minute)},
		{"final_network", finalMessage(goldenJob(), pauseResult(failed, errors.New("dial tcp: connection refused"), drresult.NotStopped), 10*time.Minute)},
		{"final_wait_reached", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true,
			Initial: drapi.StatusRunning, Status: drapi.StatusStopping, RequestID: "req-0006", Elapsed: 10 * time.Minute},
			errors.New("follow: still stopping: context deadline exceeded"), drresult.WaitReached), 10*time.Minute)},
		{"final_auto", finalMessage(Job{Kind: JobPause, ID: goldenID, RequestedAt: goldenAt, AlertSource: "grafana",
			AlertTitle: "Replication lag"}, pauseResult(goldenOutcome(), nil, drresult.NotStopped), 10*time.Minute)},
		{"interrupted", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true,
			Status: drapi.StatusStopping}, nil, drresult.Interrupted), 10*time.Minute)},
		{"interrupted_lookup", interruptedLookupMessage(Job{Kind: JobStatus, ID: goldenID})},
		{"already_stopped", alreadyMessage(pauseOp, goldenID, drapi.StatusStopped)},
		{"already_stopping", alreadyMessage(pauseOp, goldenID, drapi.StatusStopping)},
		{"not_pausable", notAllowedMessage(pauseOp, goldenID, drapi.StatusUnstart)},
		{"in_flight", opHeldMessage(pauseOp, goldenID, ledger.Record{Holder: ledger.Op{Name: "pause", By: "U2", Token: "T0"}.String(), At: goldenAt})},
		{"in_flight_alert", opHeldMessage(pauseOp, goldenID, ledger.Record{Holder: ledger.Op{Name: "pause", By: "alert:grafana", Token: "T0"}.String(), At: goldenAt})},
		{"in_flight_invoke", opHeldMessage(pauseOp, goldenID, ledger.Record{Holder: ledger.Op{Name: "pause", By: "invoke", Token: "T0"}.String(), At: goldenAt})},
		{"cancel_too_late", cancelTooLateAtMessage(pauseOp, goldenID, ledger.Record{Holder: "U2/N0", At: goldenAt})},
		{"card_used", cardUsedMessage(pauseOp, goldenID, ledger.Record{Holder: "U2/N0", State: ledger.Held, At: goldenAt})},
		{"card_cancelled", cardCancelledMessage(pauseOp, ledger.Record{Holder: "U1", State: ledger.Void, At: goldenAt})},
		{"alert_card_cancelled", cancelledCardMessage(askedBy("", "grafana", "Replication lag"), "U2", goldenAt,
			alertCardMessage(goldenProposal(goldenID, goldenID2), goldenCard, goldenAt, testKey).Blocks)},
		{"ledger_down", ledgerDownMessage(&ledger.UnavailableError{Ledger: "DynamoDB table drpause-ledger", Err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")}, "paused")},
		{"job_not_run", jobNotRunMessage(goldenJob(), opHeldText(pauseOp, goldenID, ledger.Record{Holder: ledger.Op{Name: "pause", By: "invoke", Token: "T0"}.String(), At: goldenAt}))},
		{"refused_team", refusalMessage(&refusal{reason: "team", subject: "T0OTHER", setting: "DR_ALLOWED_TEAMS"})},
		{"too_many_lookups", tooManyLookupsMessage(maxLookupsPerUser)},
		{"bad_button", badButtonMessage()},
		{"invalid_button", invalidButtonMessage()},
		{"expired", expiredMessage(pauseOp, goldenID, 26*time.Hour+3*time.Minute)},
		{"hand_off_failed", handOffFailedMessage(goldenJob())},
		{"lookup_error", lookupErrorMessage(drresult.ClassifyLookup(goldenID, apiError(403, "APIGW.0301", "Incorrect IAM authentication information.", 1)))},
		{"list_error", lookupErrorMessage(drresult.ClassifyLookup("", apiError(429, "APIG.0308", "The throttling threshold has been reached.", 4)))},
		{"working", workingMessage("status")},
		{"unavailable", unavailableMessage()},
		{"status", statusMessage(goldenDetail())},
		{"list", listMessage([]drapi.Summary{
			{ID: goldenID2, Name: "dr-billing", Status: drapi.StatusStopped},
			{ID: goldenID, Name: "dr-orders", Status: drapi.StatusRunning}})},
		{"list_empty", listMessage(nil)},
		{"list_long", listMessage(many)},
		{"dry_run", dryRunMessage(dryRun{ID: goldenID, User: "U1", Channel: chanID, Detail: goldenDetail(), Confirm: true})},
		{"dry_run_stopped", dryRunMessage(dryRun{ID: goldenID, User: "U1", Channel: chanID,
			Detail: &drapi.Detail{ID: goldenID, Name: "dr-orders", Status: drapi.StatusStopped}, Confirm: true})},
		{"final_busy", finalMessage(goldenJob(), pauseResult(failed,
			refusedError(409, "DWS.0011", "Another operation is in progress on the instance. Try again later.", drapi.StatusRunning), drresult.NotStopped), 10*time.Minute)},
		{"final_refused", finalMessage(goldenJob(), pauseResult(failed,
			refusedError(400, "DWS.4242", "The operation is not allowed.", drapi.StatusSwitchovering), drresult.NotStopped), 10*time.Minute)},
		{"final_other_pause_id", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, PauseID: goldenID2, Posted: true,
			Initial: drapi.StatusRunning, Status: drapi.StatusStopped, RequestID: "req-0007", Attempts: 1, Elapsed: 8 * time.Second}, nil, drresult.NotStopped), 10*time.Minute)},
		// What a hostile or broken DR API answers, in every field that reaches a message.
		{"final_hostile", finalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, PauseID: hostile, Posted: true,
			Initial: drapi.StatusRunning, Status: drapi.StatusStopped, RequestID: hostile, Attempts: 1, Elapsed: 8 * time.Second}, nil, drresult.NotStopped), 10*time.Minute)},
		{"final_hostile_refused", finalMessage(goldenJob(), pauseResult(failed, &drapi.RefusedError{ID: goldenID, Op: "pause", Status: hostile,
			Err: &drapi.Error{HTTPStatus: 400, Code: hostile, Message: hostile, RequestID: hostile, Attempts: 1}}, drresult.NotStopped), 10*time.Minute)},
		{"lookup_error_hostile", lookupErrorMessage(drresult.ClassifyLookup(goldenID,
			&drapi.Error{HTTPStatus: 400, Code: hostile, Message: hostile, RequestID: hostile, Attempts: 1}))},
		// Within the answer window of a platform that may stop once it answered (FunctionGraph).
		{"final_in_window", windowFinalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID, PauseID: goldenID, Posted: true,
			Initial: drapi.StatusRunning, Status: drapi.StatusStopping, RequestID: "req-0008", Attempts: 1, Elapsed: 400 * time.Millisecond},
			nil, drresult.Released))},
		{"final_in_window_unconfirmed", windowFinalMessage(goldenJob(), pauseResult(drapi.Outcome{ID: goldenID,
			Initial: drapi.StatusRunning, Status: drapi.StatusRunning, Attempts: 1, RequestID: "req-0009", Elapsed: 1500 * time.Millisecond},
			errors.New("pause: context deadline exceeded"), drresult.WaitReached))},
		{"slow_in_window", slowInWindowMessage(JobStatus, goldenID)},
		{"no_credentials", noCredentialsMessage("FunctionGraph sent an incomplete set of agency credentials (no X-CFF-Security-Token): check the function's agency and its Include Keys setting")},
		{"status_hostile", statusMessage(&drapi.Detail{ID: hostile, Name: hostile, DRType: hostile, Status: hostile,
			Primary: drapi.Cluster{Name: hostile, Region: hostile, Status: hostile, LastSuccessTime: hostile},
			Standby: drapi.Cluster{Name: hostile}, SyncPeriod: hostile, StartTime: hostile})},
		{"list_hostile", listMessage([]drapi.Summary{{ID: hostile, Name: hostile, Status: hostile}, {ID: goldenID, Name: "dr-orders", Status: drapi.StatusRunning}})},
		{"final_stopped_simulated", markSimulated(finalMessage(goldenJob(), pauseResult(goldenOutcome(), nil, drresult.NotStopped), 10*time.Minute))},
		// A resume: the card, and every message that differs from a pause's by its words.
		{"card_resume", cardMessage(card{Op: resumeOp, Card: goldenCard, Channel: chanID, Team: teamID, ID: goldenID, Requester: "U1",
			RequestedAt: goldenAt, Detail: goldenStoppedDetail(), LastPause: lastPause{Known: true, By: "U2", At: goldenAt.Add(-2 * time.Hour)}}, testKey)},
		{"card_resume_four_eyes_slow", cardMessage(card{Op: resumeOp, Card: goldenCard, Channel: chanID, Team: teamID, ID: goldenID,
			Requester: "U1", RequestedAt: goldenAt, Lookup: "unknown (DR API slow)", FourEyes: true}, testKey)},
		{"card_resume_hostile", cardMessage(card{Op: resumeOp, Card: goldenCard, Channel: chanID, Team: teamID, ID: goldenID, Requester: "U1",
			RequestedAt: goldenAt, Detail: &drapi.Detail{ID: goldenID, Name: hostile, Status: drapi.StatusStopped,
				Primary: drapi.Cluster{Name: hostile, LastSuccessTime: hostile}, Standby: drapi.Cluster{LastSuccessTime: hostile}},
			LastPause: lastPause{Known: true, By: "alert:" + hostile, At: goldenAt}}, testKey)},
		{"resuming", pausingMessage(goldenResumeJob(), 10*time.Minute)},
		{"progress_resume", progressMessage(goldenResumeJob(), drapi.StatusStarting, 4*time.Second)},
		{"final_running", finalMessage(goldenResumeJob(), resumeResult(drapi.Outcome{ID: goldenID, OpID: goldenID, Posted: true,
			Initial: drapi.StatusStopped, Status: drapi.StatusRunning, RequestID: "req-0101", Attempts: 1, Elapsed: 47 * time.Second}, nil, drresult.NotStopped), 10*time.Minute)},
		{"final_already_running", finalMessage(goldenResumeJob(), resumeResult(drapi.Outcome{ID: goldenID, Initial: drapi.StatusRunning,
			Status: drapi.StatusRunning, RequestID: "req-0102"}, nil, drresult.NotStopped), 10*time.Minute)},
		{"final_start_failed", finalMessage(goldenResumeJob(), resumeResult(drapi.Outcome{ID: goldenID, OpID: goldenID, Posted: true,
			Initial: drapi.StatusStopped, Status: drapi.StatusStartFailed, RequestID: "req-0103", Elapsed: time.Minute},
			&drapi.StatusError{ID: goldenID, Op: "follow", Status: drapi.StatusStartFailed}, drresult.NotStopped), 10*time.Minute)},
		{"final_resume_refused", finalMessage(goldenResumeJob(), resumeResult(stillStopped,
			&drapi.RefusedError{ID: goldenID, Op: "start", Status: drapi.StatusStopped,
				Err: &drapi.Error{HTTPStatus: 400, Code: "DWS.4242", Message: "The operation is not allowed.", RequestID: "req-err-1", Attempts: 1}}, drresult.NotStopped), 10*time.Minute)},
		{"final_resume_auth", finalMessage(goldenResumeJob(), resumeResult(stillStopped,
			apiError(403, "APIGW.0302", "The IAM user is not authorized to access the API.", 1), drresult.NotStopped), 10*time.Minute)},
		{"interrupted_resume", finalMessage(goldenResumeJob(), resumeResult(drapi.Outcome{ID: goldenID, OpID: goldenID, Posted: true,
			Status: drapi.StatusStarting}, nil, drresult.Interrupted), 10*time.Minute)},
		{"already_running", alreadyMessage(resumeOp, goldenID, drapi.StatusRunning)},
		{"already_starting", alreadyMessage(resumeOp, goldenID, drapi.StatusStarting)},
		{"not_resumable", notAllowedMessage(resumeOp, goldenID, drapi.StatusStopFailed)},
		{"resume_disabled", resumeDisabledMessage()},
		{"in_flight_resume", opHeldMessage(resumeOp, goldenID, ledger.Record{Holder: ledger.Op{Name: "pause", By: "U2", Token: "T0"}.String(), At: goldenAt})},
		{"in_flight_pause_on_resume", opHeldMessage(pauseOp, goldenID, ledger.Record{Holder: ledger.Op{Name: "resume", By: "invoke", Token: "T0"}.String(), At: goldenAt})},
		{"paused_since_card", pausedSinceCardMessage(goldenID, lastPause{Known: true, By: "U2", At: goldenAt})},
		{"cancelled_resume", cancelledMessage(resumeOp, goldenID, "<@U1>", "U2", goldenAt)},
		{"card_used_resume", cardUsedMessage(resumeOp, goldenID, ledger.Record{Holder: "U2/N0", State: ledger.Held, At: goldenAt})},
		{"dry_run_resume", dryRunMessage(dryRun{Op: resumeOp, ID: goldenID, User: "U1", Channel: chanID, Detail: goldenStoppedDetail(), FourEyes: true})},
		{"refused_four_eyes_resume", refusalMessage(&refusal{reason: "four_eyes", subject: "U1", setting: "DR_FOUR_EYES", op: "resume"})},
		{"alert_card", alertCardMessage(goldenProposal(goldenID, goldenID2), goldenCard, goldenAt, testKey)},
		{"alert_auto", alertAutoMessage(goldenProposal(goldenID, goldenID2), goldenAt)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep <@U1> readable; Slack reads either form
			enc.SetIndent("", "  ")
			if err := enc.Encode(tt.msg); err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got := buf.Bytes()
			checkLimits(t, tt.msg)
			path := filepath.Join("testdata", tt.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./bot -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the message built:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// checkLimits checks msg against Slack's Block Kit limits and for unescaped outside text.
func checkLimits(t *testing.T, msg slackMessage) {
	t.Helper()
	if msg.Text == "" {
		t.Errorf("message has no fallback text")
	}
	if len(msg.Blocks) > maxBlocks {
		t.Errorf("got %d blocks; want at most %d", len(msg.Blocks), maxBlocks)
	}
	textOK := func(what string, tb *slack.TextBlockObject, max int) {
		if tb != nil && utf8.RuneCountInString(tb.Text) > max {
			t.Errorf("%s: got %d characters; want at most %d", what, utf8.RuneCountInString(tb.Text), max)
		}
		if tb != nil && tb.Type == slack.MarkdownType && (strings.Contains(tb.Text, "<prod>") ||
			strings.Contains(tb.Text, "<!") || strings.Contains(tb.Text, "<http")) {
			t.Errorf("%s: outside text not escaped: %q", what, tb.Text)
		}
	}
	for _, blk := range msg.Blocks {
		switch b := blk.(type) {
		case *slack.SectionBlock:
			textOK("section", b.Text, maxSectionText)
			if len(b.Fields) > 10 {
				t.Errorf("section: got %d fields; want at most 10", len(b.Fields))
			}
			for _, f := range b.Fields {
				textOK("field", f, maxFieldText)
			}
		case *slack.ActionBlock:
			for _, el := range b.Elements.ElementSet {
				btn, ok := el.(*slack.ButtonBlockElement)
				if !ok {
					continue
				}
				textOK("button text", btn.Text, 75)
				if len(btn.Value) > 2000 {
					t.Errorf("button value: got %d bytes; want at most 2000", len(btn.Value))
				}
				if btn.Confirm != nil {
					textOK("confirm title", btn.Confirm.Title, 100)
					textOK("confirm text", btn.Confirm.Text, maxConfirmText)
				}
			}
		}
	}
}
