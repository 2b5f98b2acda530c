package slacktest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dws-dr/drpause/bot/slacktest"
)

// A test sends a signed slash command to the app, the app answers at once and later posts the
// result through the command's response_url; the test waits for that post and reads the channel
// as Slack shows it. Under Slack's rules, replace_original on a slash command posts anew.
func Example() {
	s := slacktest.NewServer(slacktest.Config{Rules: slacktest.Strict})
	defer s.Close()

	var responseURL string
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm() // a real app verifies the signature first (X-Slack-Signature)
		responseURL = r.PostForm.Get("response_url")
		io.WriteString(w, "working on it")
	})
	s.Command(app, slacktest.SlashCommand{Text: "pause"})
	// The app's deferred work:
	http.Post(responseURL, "application/json", strings.NewReader(`{"replace_original":true,"text":"done"}`))
	s.Wait(exampleT{}, "the result", func(p slacktest.Post) bool { return p.Text == "done" })
	for _, m := range s.Timeline() {
		fmt.Println(m.Text)
	}
	// Output:
	// working on it
	// done
}

// exampleT stands in for the *testing.T a test passes.
type exampleT struct{}

func (exampleT) Helper()                      {}
func (exampleT) Errorf(string, ...any)        {}
func (exampleT) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }
