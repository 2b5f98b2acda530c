package drapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzNewError feeds newError arbitrary error answers: whatever DWS, a gateway or a proxy in
// between sends, the *Error must be safe to show in Slack and logs, and its Code must come from
// one of the documented fields, never from anywhere else in the body.
func FuzzNewError(f *testing.F) {
	for _, s := range []struct {
		status     int
		body       string
		retryAfter string
		requestID  string
	}{
		{400, `{"error_code":"DWS.10101","error_msg":"The disaster recovery task does not exist."}`, "", "4f1d7c3a9b"},
		{401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail","request_id":"0cf1a7ae"}`, "", ""},
		{429, `{"error_code":"APIG.0308","error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute"}`, "3", "r1"},
		{429, ``, "Wed, 25 Nov 2026 23:00:00 GMT", ""},
		{500, `{"code":"DWS.9999","message":"internal error"}`, "", ""},
		{503, `{"error":{"code":"APIG.1009","message":"backend unavailable"}}`, "120", ""},
		{502, "<html><head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>", "", ""},
		{400, `{"error_code":12345,"error_msg":["not","a","string"]}`, "", ""},
		{400, `{"error_code":"DWS.0001","error_msg":"line one\r\nX-Injected: yes"}`, "", ""},
		{400, "{\"error_code\":\"DWS.0001\",\"error_msg\":\"\xff\xfe bad utf-8\"}", "-1", "\xff"},
		{404, strings.Repeat("a", 4096), "18446744073709551616", ""},
		{400, `{"error_code":"","code":"","error":{"code":""}}`, "", ""},
		{403, `{"error_code":"DWS.0015","error_msg":"` + strings.Repeat("x", 2000) + `"}`, "", ""},
	} {
		f.Add(s.status, []byte(s.body), s.retryAfter, s.requestID)
	}
	now := time.Date(2026, 11, 25, 22, 59, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter, requestID string) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		resp.Header.Set("Retry-After", retryAfter)
		resp.Header.Set(headerRequestID, requestID)

		e := newError(resp, body, now)

		if e.HTTPStatus != status {
			t.Errorf("got HTTPStatus %d; want %d", e.HTTPStatus, status)
		}
		if e.RetryAfter < 0 {
			t.Errorf("got RetryAfter %s; want >= 0", e.RetryAfter)
		}
		for _, s := range []struct {
			name, value string
			max         int
		}{
			{"Message", e.Message, maxMessage + len("...")},
			{"Code", e.Code, maxCode + len("...")},
			{"RequestID", e.RequestID, maxRequestID + len("...")},
		} {
			checkShowable(t, s.name, s.value, s.max)
		}
		if e.Code != "" && !documentedCode(body, e.Code) {
			t.Errorf("got Code %q; want it from error_code, code or error.code of %q", e.Code, body)
		}
		// Error() is what reaches logs and Slack: it must stay one line as well.
		if msg := e.Error(); strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) {
			t.Errorf("got Error() %q; want one line of valid UTF-8", msg)
		}
	})
}

// checkShowable fails unless s is valid UTF-8, at most max bytes and free of control characters
// (a newline in an error would forge log lines and split Slack messages).
func checkShowable(t *testing.T, name, s string, max int) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("got %s %q; want valid UTF-8", name, s)
	}
	if len(s) > max {
		t.Errorf("got %s of %d bytes; want at most %d", name, len(s), max)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		t.Errorf("got %s %q with a control character at %d; want none", name, s, i)
	}
}

// documentedCode reports whether code is, or is the start of, the value of one of the fields the
// reference documents for it. It decodes body independently of newError.
func documentedCode(body []byte, code string) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top map[string]any
	if dec.Decode(&top) != nil {
		return false
	}
	candidates := []any{top["error_code"], top["code"]}
	if nested, ok := top["error"].(map[string]any); ok {
		candidates = append(candidates, nested["code"])
	}
	for _, c := range candidates {
		var s string
		switch v := c.(type) {
		case string:
			s = v
		case json.Number:
			s = v.String()
		default:
			continue
		}
		if s != "" && strings.HasPrefix(oneLine(s), strings.TrimSuffix(code, "...")) {
			return true
		}
	}
	return false
}

// oneLine is s with invalid UTF-8 replaced and every run of spaces and control characters made
// one space, as an error field is shown.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}
