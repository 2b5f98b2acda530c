package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dws-dr/drpause/functions/pause/internal/config"
	"github.com/dws-dr/drpause/functions/pause/internal/server"
)

// secretNames are the secret variables of the interface file; each may be given as NAME_FILE.
var secretNames = []string{
	"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN",
	"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DR_INVOKE_TOKEN", "DR_ALERT_TOKEN", "DR_GRAFANA_SECRET",
}

// needTimeout is how long a platform must let one request run: the binary follows a pause
// for DR_WAIT and its HTTP server allows a minute more to answer (serve.go's WriteTimeout).
// wait is DR_WAIT as the deployment sets it, or the binary's default.
func needTimeout(t *testing.T, wait string) time.Duration {
	t.Helper()
	if wait == "" {
		f, _ := reflect.TypeFor[config.Config]().FieldByName("Wait")
		wait = f.Tag.Get("default")
	}
	d, err := time.ParseDuration(wait)
	if err != nil || d <= 0 {
		t.Fatalf("DR_WAIT %q: %v", wait, err)
	}
	return d + time.Minute
}

// checkSecretEnv fails for a secret given as a plain variable, and for a NAME_FILE that does
// not name a secret variable or whose path resolve does not find mounted from a secret. It
// returns the secrets given as files.
func checkSecretEnv(t *testing.T, env map[string]string, resolve func(path string) bool) []string {
	t.Helper()
	var files []string
	for name, value := range env {
		if slices.Contains(secretNames, name) {
			t.Errorf("%s is set in the environment; want %s_FILE and a mounted secret", name, name)
		}
		secret, ok := strings.CutSuffix(name, "_FILE")
		if !ok {
			continue
		}
		if !slices.Contains(secretNames, secret) {
			t.Errorf("%s: %s is not a secret variable", name, secret)
			continue
		}
		if !resolve(value) {
			t.Errorf("%s=%s: no secret is mounted there", name, value)
		}
		files = append(files, secret)
	}
	for _, must := range []string{"HUAWEICLOUD_SDK_SK", "SLACK_SIGNING_SECRET"} {
		if !slices.Contains(files, must) {
			t.Errorf("%s_FILE is not set; want the secret given as a file", must)
		}
	}
	return files
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeYAML decodes strictly: a misspelled key is an error, not a silently missing setting.
func decodeYAML(t *testing.T, name string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, name)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// decodeJSON decodes strictly, as decodeYAML.
func decodeJSON(t *testing.T, name string, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(readFile(t, name)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type knativeService struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string
	Metadata   struct{ Name string }
	Spec       struct {
		Template struct {
			Metadata struct{ Annotations map[string]string }
			Spec     struct {
				TimeoutSeconds       int `yaml:"timeoutSeconds"`
				ContainerConcurrency int `yaml:"containerConcurrency"`
				Containers           []struct {
					Image string
					Ports []struct {
						Name          string
						ContainerPort int `yaml:"containerPort"`
					}
					Resources    struct{ Limits map[string]string }
					Env          []struct{ Name, Value string }
					VolumeMounts []struct {
						Name      string
						MountPath string `yaml:"mountPath"`
						ReadOnly  bool   `yaml:"readOnly"`
					} `yaml:"volumeMounts"`
				}
				Volumes []struct {
					Name   string
					Secret *struct {
						SecretName string `yaml:"secretName"`
						Items      []struct{ Key, Path string }
					}
				}
			}
		}
	}
}

// TestKnativeService: Cloud Run and Knative get port 8080, a request timeout that covers
// DR_WAIT, CPU kept after the answer, one warm instance, and every secret as a mounted file.
func TestKnativeService(t *testing.T) {
	var ks knativeService
	decodeYAML(t, "cloudrun/knative-service.yaml", &ks)
	if ks.APIVersion != "serving.knative.dev/v1" || ks.Kind != "Service" {
		t.Errorf("got %s %s; want a serving.knative.dev/v1 Service", ks.APIVersion, ks.Kind)
	}
	tmpl := ks.Spec.Template
	// https://cloud.google.com/run/docs/configuring/billing-settings: "false" is CPU always allocated.
	if got := tmpl.Metadata.Annotations["run.googleapis.com/cpu-throttling"]; got != "false" {
		t.Errorf("run.googleapis.com/cpu-throttling: got %q; want \"false\" (CPU always allocated)", got)
	}
	if n, err := strconv.Atoi(tmpl.Metadata.Annotations["autoscaling.knative.dev/minScale"]); err != nil || n < 1 {
		t.Errorf("autoscaling.knative.dev/minScale: got %q; want at least 1", tmpl.Metadata.Annotations["autoscaling.knative.dev/minScale"])
	}
	if got := tmpl.Metadata.Annotations["autoscaling.knative.dev/maxScale"]; got != "1" {
		t.Errorf("autoscaling.knative.dev/maxScale: got %q; want 1 (the in-memory ledger is per process)", got)
	}
	if len(tmpl.Spec.Containers) != 1 {
		t.Fatalf("containers: got %d; want 1", len(tmpl.Spec.Containers))
	}
	c := tmpl.Spec.Containers[0]
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 {
		t.Errorf("ports: got %+v; want containerPort 8080", c.Ports)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	timeout := time.Duration(tmpl.Spec.TimeoutSeconds) * time.Second
	if need := needTimeout(t, env["DR_WAIT"]); timeout < need || timeout > time.Hour {
		t.Errorf("timeoutSeconds: got %s; want at least %s (DR_WAIT + 1m) and at most Cloud Run's 3600 s", timeout, need)
	}
	mounts := map[string]string{} // mount path -> volume
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	checkSecretEnv(t, env, func(p string) bool {
		name, ok := mounts[path.Dir(p)]
		if !ok {
			return false
		}
		for _, v := range tmpl.Spec.Volumes {
			if v.Name != name || v.Secret == nil || v.Secret.SecretName == "" {
				continue
			}
			for _, it := range v.Secret.Items {
				// On Cloud Run the key is the Secret Manager version.
				if it.Path == path.Base(p) && it.Key == "latest" {
					return true
				}
			}
		}
		return false
	})
}

// dockerStage is one FROM of a Dockerfile with its instructions, continuation lines joined.
type dockerStage struct {
	from         string // the image, flags left out
	name         string // AS name
	instructions []string
}

func parseDockerfile(t *testing.T, name string) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var cur strings.Builder
	for line := range strings.Lines(string(readFile(t, name))) {
		line = strings.TrimSpace(line)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if l, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(l + " ")
			continue
		}
		cur.WriteString(line)
		instr := strings.Join(strings.Fields(cur.String()), " ")
		cur.Reset()
		fields := strings.Fields(instr)
		if strings.ToUpper(fields[0]) == "FROM" {
			var s dockerStage
			for i := 1; i < len(fields); i++ {
				switch {
				case strings.HasPrefix(fields[i], "--"):
				case strings.EqualFold(fields[i], "AS") && i+1 < len(fields):
					s.name = fields[i+1]
					i++
				default:
					s.from = fields[i]
				}
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, instr)
		}
	}
	if len(stages) == 0 {
		t.Fatalf("%s: no FROM", name)
	}
	return stages
}

// instruction returns the arguments of the stage's first instruction with the given keyword.
func (s dockerStage) instruction(keyword string) (string, bool) {
	for _, in := range s.instructions {
		if k, rest, _ := strings.Cut(in, " "); strings.EqualFold(k, keyword) {
			return rest, true
		}
	}
	return "", false
}

// makefileBuild returns the `go build` flags and the link flags the Makefile builds with, the
// version variable written as a Dockerfile build argument.
func makefileBuild(t *testing.T) (flags, ldflags string) {
	t.Helper()
	mk := string(readFile(t, filepath.Join("..", "..", "..", "Makefile")))
	b := regexp.MustCompile(`(?m)^BUILD\s*:=\s*CGO_ENABLED=0 \$\(GO\) build (.+) -ldflags="\$\(LDFLAGS\)"$`).FindStringSubmatch(mk)
	l := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*(.+)$`).FindStringSubmatch(mk)
	if b == nil || l == nil {
		t.Fatal("Makefile: BUILD or LDFLAGS not found")
	}
	return b[1], strings.ReplaceAll(l[1], "$(VERSION)", "${VERSION}")
}

// checkImage checks what every image needs: built as the Makefile builds, a distroless static
// non-root final stage holding the binary. It returns the final stage and the binary's path.
func checkImage(t *testing.T, name string) (dockerStage, string) {
	t.Helper()
	stages := parseDockerfile(t, name)
	flags, ldflags := makefileBuild(t)
	var builder, out string
	for _, s := range stages {
		run := ""
		for _, in := range s.instructions {
			if strings.HasPrefix(in, "RUN ") && strings.Contains(in, "go build") {
				run = in
			}
		}
		if run == "" {
			continue
		}
		builder = s.name
		for _, want := range []string{"CGO_ENABLED=0", "go build " + flags, `-ldflags="` + ldflags + `"`} {
			if !strings.Contains(run, want) {
				t.Errorf("%s: go build: got %q; want %q, as the Makefile builds", name, run, want)
			}
		}
		if m := regexp.MustCompile(` -o (\S+) `).FindStringSubmatch(run); m != nil {
			out = m[1]
		}
	}
	if builder == "" || out == "" {
		t.Fatalf("%s: no named stage running go build -o", name)
	}
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") || !strings.HasSuffix(final.from, ":nonroot") {
		t.Errorf("%s: final stage FROM %s; want gcr.io/distroless/static...:nonroot", name, final.from)
	}
	if user, _ := final.instruction("USER"); user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Errorf("%s: final stage USER %q; want the non-root user", name, user)
	}
	var bin string
	for _, in := range final.instructions {
		f := strings.Fields(in)
		if len(f) == 4 && strings.EqualFold(f[0], "COPY") && f[1] == "--from="+builder && f[2] == out {
			bin = f[3]
		}
	}
	if bin == "" {
		t.Errorf("%s: final stage does not copy %s from %s", name, out, builder)
	}
	return final, bin
}

// TestCloudRunImage: the image runs the binary as its entrypoint.
func TestCloudRunImage(t *testing.T) {
	final, bin := checkImage(t, "cloudrun/Dockerfile")
	if ep, _ := final.instruction("ENTRYPOINT"); ep != fmt.Sprintf("[%q]", bin) {
		t.Errorf("ENTRYPOINT: got %s; want [%q] (exec form: the binary gets SIGTERM)", ep, bin)
	}
}

// dockerEnv returns the final stage's ENV as a map.
func dockerEnv(s dockerStage) map[string]string {
	env := map[string]string{}
	for _, in := range s.instructions {
		k, rest, _ := strings.Cut(in, " ")
		if !strings.EqualFold(k, "ENV") {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			if name, value, ok := strings.Cut(kv, "="); ok {
				env[name] = value
			}
		}
	}
	return env
}

type openFaaSStack struct {
	Version  any
	Provider struct{ Name, Gateway string }
	// Functions holds the functions by name.
	Functions map[string]struct {
		Image       string
		Labels      map[string]string
		Environment map[string]string
		Secrets     []string
	}
}

// watchdogDuration reads an of-watchdog timeout: a Go duration, or whole seconds.
func watchdogDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// TestOpenFaaS: the watchdog proxies in HTTP mode to where the binary listens, lets a request
// run for DR_WAIT, and the secrets are the files OpenFaaS mounts.
func TestOpenFaaS(t *testing.T) {
	final, bin := checkImage(t, "openfaas/Dockerfile")
	image := dockerEnv(final)
	if ep, _ := final.instruction("ENTRYPOINT"); ep != `["/usr/bin/fwatchdog"]` || image["fprocess"] != bin {
		t.Errorf("got ENTRYPOINT %s, fprocess %q; want the watchdog starting %s", ep, image["fprocess"], bin)
	}

	var stack openFaaSStack
	decodeYAML(t, "openfaas/stack.yml", &stack)
	if stack.Provider.Name != "openfaas" || len(stack.Functions) != 1 {
		t.Fatalf("got provider %q and %d functions; want openfaas and one", stack.Provider.Name, len(stack.Functions))
	}
	for name, fn := range stack.Functions {
		env := fn.Environment
		// The stack's settings win over the image's; both must say the same.
		for _, k := range []string{"mode", "upstream_url", "DR_MODE", "DR_LISTEN_HOST", "PORT"} {
			if env[k] != image[k] {
				t.Errorf("%s: %s: stack.yml %q, Dockerfile %q; want them equal", name, k, env[k], image[k])
			}
		}
		up, err := url.Parse(env["upstream_url"])
		if env["mode"] != "http" || err != nil || up.Host != net.JoinHostPort(env["DR_LISTEN_HOST"], env["PORT"]) {
			t.Errorf("%s: got mode %q, upstream_url %q; want http mode proxying to DR_LISTEN_HOST:PORT (%s:%s)",
				name, env["mode"], env["upstream_url"], env["DR_LISTEN_HOST"], env["PORT"])
		}
		if ip := net.ParseIP(env["DR_LISTEN_HOST"]); ip == nil || !ip.IsLoopback() || env["PORT"] == "8080" || env["PORT"] == "8081" {
			t.Errorf("%s: binary on %s:%s; want loopback, off the watchdog's 8080 and 8081", name, env["DR_LISTEN_HOST"], env["PORT"])
		}
		need := needTimeout(t, env["DR_WAIT"])
		for _, k := range []string{"write_timeout", "exec_timeout"} {
			if d, err := watchdogDuration(env[k]); err != nil || d < need {
				t.Errorf("%s: %s: got %q; want at least %s (DR_WAIT + 1m)", name, k, env[k], need)
			}
		}
		if n, err := strconv.Atoi(fn.Labels["com.openfaas.scale.min"]); err != nil || n < 1 {
			t.Errorf("%s: com.openfaas.scale.min: got %q; want at least 1", name, fn.Labels["com.openfaas.scale.min"])
		}
		// https://docs.openfaas.com/reference/secrets/: mounted at /var/openfaas/secrets/<name>.
		checkSecretEnv(t, env, func(p string) bool {
			s, ok := strings.CutPrefix(p, "/var/openfaas/secrets/")
			return ok && slices.Contains(fn.Secrets, s)
		})
	}
}

type azureHost struct {
	Version         string
	FunctionTimeout string
	CustomHandler   struct {
		Description struct {
			DefaultExecutablePath string
			Arguments             []string
			WorkingDirectory      string
		}
		EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		EnableProxyingHTTPRequest   bool `json:"enableProxyingHttpRequest"`
	}
	Extensions struct {
		HTTP struct {
			RoutePrefix *string
		}
	}
}

type azureFunction struct {
	Bindings []struct {
		Type, Direction, Name, AuthLevel, Route string
		Methods                                 []string
	}
}

// parseHMS reads a host.json timespan, hh:mm:ss.
func parseHMS(s string) (time.Duration, error) {
	var h, m, sec int
	if _, err := fmt.Sscanf(s, "%d:%d:%d", &h, &m, &sec); err != nil {
		return 0, err
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, nil
}

// TestAzure: the host runs the binary with the original requests forwarded at the binary's own
// paths, for at least DR_WAIT, and exposes exactly the interface's routes, anonymously.
func TestAzure(t *testing.T) {
	var host azureHost
	decodeJSON(t, "azure/host.json", &host)
	ch := host.CustomHandler
	if ch.Description.DefaultExecutablePath != "bootstrap" || !ch.EnableForwardingHTTPRequest && !ch.EnableProxyingHTTPRequest {
		t.Errorf("customHandler: got %+v; want bootstrap, with HTTP requests forwarded", ch)
	}
	mk := string(readFile(t, filepath.Join("..", "..", "..", "Makefile")))
	if !strings.Contains(mk, "$(BIN)/azure/"+ch.Description.DefaultExecutablePath) {
		t.Errorf("Makefile: the azure target does not package the binary as %s", ch.Description.DefaultExecutablePath)
	}
	if p := host.Extensions.HTTP.RoutePrefix; p == nil || *p != "" {
		t.Errorf("extensions.http.routePrefix: got %v; want \"\" (the binary serves /slack/..., not /api/slack/...)", p)
	}
	if d, err := parseHMS(host.FunctionTimeout); err != nil || d < needTimeout(t, "") {
		t.Errorf("functionTimeout: got %q; want at least %s (DR_WAIT + 1m)", host.FunctionTimeout, needTimeout(t, ""))
	}

	dirs, err := filepath.Glob("azure/*/function.json")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, f := range dirs {
		var fn azureFunction
		decodeJSON(t, f, &fn)
		var in, out int
		for _, b := range fn.Bindings {
			switch {
			case b.Type == "httpTrigger" && b.Direction == "in":
				in++
				if b.AuthLevel != "anonymous" || len(b.Methods) != 1 || b.Route == "" {
					t.Errorf("%s: got authLevel %q, methods %q, route %q; want anonymous, one method, a route",
						f, b.AuthLevel, b.Methods, b.Route)
					continue
				}
				routes = append(routes, strings.ToUpper(b.Methods[0])+" /"+b.Route)
			case b.Type == "http" && b.Direction == "out":
				out++
			}
		}
		if in != 1 || out != 1 || len(fn.Bindings) != 2 {
			t.Errorf("%s: got %d bindings; want one httpTrigger in and one http out (forwarding needs no others)", f, len(fn.Bindings))
		}
	}
	slices.Sort(routes)
	want := []string{"GET /healthz", "POST /alerts/alertmanager", "POST /alerts/grafana", "POST /alerts/smn",
		"POST /invoke", "POST /slack/commands", "POST /slack/interactions"}
	if !slices.Equal(routes, want) {
		t.Errorf("routes: got %q; want the interface's %q", routes, want)
	}
	// Each route is one the binary serves, with that method.
	stub := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := server.NewServer(server.Deps{Commands: stub, Interactions: stub, Alertmanager: stub, Grafana: stub, SMN: stub, Invoke: stub})
	for _, r := range routes {
		method, p, _ := strings.Cut(r, " ")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, p, nil))
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s: the binary answers %d", r, rec.Code)
		}
	}
}

type fgFunction struct {
	FuncName           string `json:"func_name"`
	Package            string
	Description        string
	Runtime            string
	Type               string
	Handler            string
	CodeType           string `json:"code_type"`
	CodeFilename       string `json:"code_filename"`
	MemorySize         int    `json:"memory_size"`
	Timeout            int
	MaxInstanceNum     int    `json:"max_instance_num"`
	Xrole              string `json:"xrole"`
	EnableAuthInHeader bool   `json:"enable_auth_in_header"`
	UserData           string `json:"user_data"`
	EncryptedUserData  string `json:"encrypted_user_data"`
}

// TestFunctionGraph: an HTTP function started by bootstrap, with a timeout that covers
// DR_WAIT, an agency whose temporary keys come in each request, and no long-lived key: the
// secrets it does hold are encrypted.
func TestFunctionGraph(t *testing.T) {
	var fn fgFunction
	decodeJSON(t, "functiongraph/function.json", &fn)
	var plain, encrypted map[string]string
	if err := json.Unmarshal([]byte(fn.UserData), &plain); err != nil {
		t.Fatalf("user_data: %v", err)
	}
	if err := json.Unmarshal([]byte(fn.EncryptedUserData), &encrypted); err != nil {
		t.Fatalf("encrypted_user_data: %v", err)
	}
	if fn.Runtime != "http" || fn.Handler != "bootstrap" || fn.CodeType != "zip" {
		t.Errorf("got runtime %q, handler %q, code %q; want an http function started by bootstrap from a zip", fn.Runtime, fn.Handler, fn.CodeType)
	}
	if need := needTimeout(t, plain["DR_WAIT"]); time.Duration(fn.Timeout)*time.Second < need {
		t.Errorf("timeout: got %d s; want at least %s (DR_WAIT + 1m)", fn.Timeout, need)
	}
	if fn.Xrole == "" || !fn.EnableAuthInHeader {
		t.Errorf("got agency %q, Include Keys %t; want an agency whose keys come in the request headers", fn.Xrole, fn.EnableAuthInHeader)
	}
	if fn.MaxInstanceNum != 1 {
		t.Errorf("max_instance_num: got %d; want 1 (the in-memory ledger is per process)", fn.MaxInstanceNum)
	}
	if fn.MemorySize < 128 || fn.MemorySize%128 != 0 {
		t.Errorf("memory_size: got %d; want a FunctionGraph size (a multiple of 128 MB)", fn.MemorySize)
	}
	for k := range plain {
		if slices.Contains(secretNames, k) || strings.HasPrefix(k, "HUAWEICLOUD_") {
			t.Errorf("user_data holds %s; want secrets only in encrypted_user_data, and no AK/SK at all", k)
		}
	}
	for k := range encrypted {
		if !slices.Contains(secretNames, k) || strings.HasPrefix(k, "HUAWEICLOUD_SDK_") {
			t.Errorf("encrypted_user_data holds %s; want only secrets, and no AK/SK (the agency supplies them)", k)
		}
	}
	if _, ok := encrypted["SLACK_SIGNING_SECRET"]; !ok {
		t.Error("encrypted_user_data: no SLACK_SIGNING_SECRET")
	}

	script := string(readFile(t, "functiongraph/bootstrap"))
	for _, want := range []string{"export DR_MODE=http", "export PORT=8000", "exec ./drpause"} {
		if !strings.Contains(script, want) {
			t.Errorf("bootstrap: no %q (FunctionGraph sends requests to port 8000)", want)
		}
	}
	mk := string(readFile(t, filepath.Join("..", "..", "..", "Makefile")))
	for _, want := range []string{"cp functions/pause/deploy/functiongraph/bootstrap $(BIN)/functiongraph/bootstrap",
		"$(BIN)/functiongraph/drpause", "../" + fn.CodeFilename} {
		if !strings.Contains(mk, want) {
			t.Errorf("Makefile: the functiongraph target has no %q", want)
		}
	}
}

type iamPolicy struct {
	Version   string
	Statement []struct {
		Sid    string
		Effect string
		Action []string
	}
}

// TestFunctionGraphPolicies: the agency's policies parse and allow exactly the DR actions
// drpause calls (detail, list, pause, and start for DR_RESUME), with no wildcard. Action names
// from each API's "Authorization Information" in the DWS API reference, see functiongraph/README.md.
func TestFunctionGraphPolicies(t *testing.T) {
	tests := []struct {
		file, version string
		want          []string
	}{
		{"functiongraph/dws-dr-identity-policy.json", "5.0",
			[]string{"dws:cluster:getDisasterRecovery", "dws:cluster:pauseDisasterRecovery", "dws:cluster:startDisasterRecovery"}},
		{"functiongraph/dws-dr-policy.json", "1.1",
			[]string{"dws:disasterRecovery:get", "dws:disasterRecovery:otherOperate"}},
	}
	for _, tt := range tests {
		var p iamPolicy
		decodeJSON(t, tt.file, &p)
		var got []string
		for _, s := range p.Statement {
			if s.Effect != "Allow" {
				t.Errorf("%s: statement %q: effect %q; want Allow", tt.file, s.Sid, s.Effect)
			}
			got = append(got, s.Action...)
		}
		slices.Sort(got)
		if p.Version != tt.version || !slices.Equal(got, tt.want) || strings.Contains(strings.Join(got, " "), "*") {
			t.Errorf("%s: got version %q, actions %q; want %s with exactly %q", tt.file, p.Version, got, tt.version, tt.want)
		}
	}
}

// TestREADMEReferencesEachFolder: every deployment folder is reachable from the README.
func TestREADMEReferencesEachFolder(t *testing.T) {
	readme := string(readFile(t, filepath.Join("..", "..", "..", "README.md")))
	dirs, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.IsDir() && !strings.Contains(readme, "functions/pause/deploy/"+d.Name()) {
			t.Errorf("README.md does not reference functions/pause/deploy/%s", d.Name())
		}
	}
}
