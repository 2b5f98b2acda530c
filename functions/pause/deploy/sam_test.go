package deploy_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// intrinsic is a short-form intrinsic function of a CloudFormation template (!Ref, !Sub,
// !GetAtt, !If, ...) with its argument decoded as decodeCFN decodes everything else.
type intrinsic struct {
	Fn  string // "Ref", "Sub", "GetAtt", "If", ...
	Arg any
}

// decodeCFN turns a YAML node into plain values, keeping the short-form intrinsics.
func decodeCFN(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return decodeCFN(n.Content[0])
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = decodeCFN(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			l[i] = decodeCFN(c)
		}
		v = l
	default:
		v = n.Value
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return intrinsic{Fn: strings.TrimPrefix(n.Tag, "!"), Arg: v}
	}
	return v
}

// samTemplate reads ../../../template.yaml.
func samTemplate(t *testing.T) map[string]any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(readFile(t, "../../../template.yaml"), &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return decodeCFN(&doc).(map[string]any)
}

// dig walks maps by keys.
func dig(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not a map at %q", strings.Join(keys, "."), k)
		}
		v = m[k]
	}
	return v
}

// walk calls f for every value inside v, v included.
func walk(v any, f func(any)) {
	f(v)
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			walk(c, f)
		}
	case []any:
		for _, c := range v {
			walk(c, f)
		}
	case intrinsic:
		walk(v.Arg, f)
	}
}

// TestSAMNoSecretInConfiguration: nothing secret reaches the function's configuration. The
// secret variables are declared empty (so env.json may fill them for sam local invoke), the
// secret comes by ARN, and no dynamic reference resolves one into the environment.
func TestSAMNoSecretInConfiguration(t *testing.T) {
	if raw := string(readFile(t, "../../../template.yaml")); strings.Contains(raw, "{{resolve:") {
		t.Error("template.yaml resolves a dynamic reference: its value would be readable in the function's configuration")
	}
	env := dig(t, samTemplate(t), "Resources", "PauseFunction", "Properties", "Environment", "Variables").(map[string]any)
	for _, name := range secretNames {
		if v, ok := env[name]; ok && v != "" {
			t.Errorf("Environment %s: got %v; want it absent or empty", name, v)
		}
	}
	if got := env["DR_SECRETS_ARN"]; got != (intrinsic{"Ref", "SecretArn"}) {
		t.Errorf("Environment DR_SECRETS_ARN: got %v; want !Ref SecretArn", got)
	}
}

// TestSAMLeastPrivilege: the function may invoke only itself, by its exact ARN, and read only its
// secret; no statement names a resource with a wildcard.
func TestSAMLeastPrivilege(t *testing.T) {
	tmpl := samTemplate(t)
	if p := dig(t, tmpl, "Resources", "PauseFunction", "Properties", "Policies"); p != nil {
		t.Errorf("PauseFunction Policies: got %v; want the function's permissions in PauseFunctionOwnPolicy only", p)
	}
	pol := dig(t, tmpl, "Resources", "PauseFunctionOwnPolicy").(map[string]any)
	if pol["Type"] != "AWS::IAM::Policy" || !slices.Equal(dig(t, pol, "Properties", "Roles").([]any), []any{intrinsic{"Ref", "PauseFunctionRole"}}) {
		t.Fatalf("PauseFunctionOwnPolicy: got %v; want an AWS::IAM::Policy on PauseFunctionRole", pol)
	}
	want := map[string]any{
		"lambda:InvokeFunction":         intrinsic{"GetAtt", "PauseFunction.Arn"},
		"secretsmanager:GetSecretValue": intrinsic{"Ref", "SecretArn"},
	}
	got := map[string]any{}
	walk(dig(t, pol, "Properties", "PolicyDocument", "Statement"), func(v any) {
		st, ok := v.(map[string]any)
		if !ok || st["Action"] == nil {
			return
		}
		action := fmt.Sprint(st["Action"])
		if st["Effect"] != "Allow" || strings.Contains(action, "*") {
			t.Errorf("statement %v: want Allow of one action", st)
		}
		got[action] = st["Resource"]
		walk(st["Resource"], func(r any) {
			if s, ok := r.(string); ok && strings.Contains(s, "*") {
				t.Errorf("statement %s: resource %q has a wildcard", action, s)
			}
		})
	})
	for action, resource := range want {
		if got[action] != resource {
			t.Errorf("%s on %v; want on %v", action, got[action], resource)
		}
	}
	if r := got["kms:Decrypt"]; r != nil && r != (intrinsic{"Ref", "SecretKmsKeyArn"}) {
		t.Errorf("kms:Decrypt on %v; want only on the secret's key", r)
	}
}

// TestSAMSettings: every setting a Lambda user needs is a parameter, DR_WAIT cannot outlast the
// function's timeout, and env.json only sets variables the template declares (SAM ignores the
// others, which is how sam local invoke once missed DR_SIMULATE).
func TestSAMSettings(t *testing.T) {
	tmpl := samTemplate(t)
	params := dig(t, tmpl, "Parameters").(map[string]any)
	fn := dig(t, tmpl, "Resources", "PauseFunction", "Properties").(map[string]any)
	env := dig(t, fn, "Environment", "Variables").(map[string]any)
	for _, name := range []string{"DR_PROJECT_ID", "DR_REGION", "DR_SECRETS_ARN", "DR_ALLOWED_USERS", "DR_ALLOWED_CHANNELS",
		"DR_ALLOWED_IDS", "DR_CONFIRM", "DR_FOUR_EYES", "DR_WAIT", "DR_ALERT_CHANNEL", "DR_ALERT_AUTO", "DR_ALERT_MAX_IDS",
		"DR_SMN_TOPICS", "DR_SMN_MAP", "LOG_LEVEL"} {
		ref, ok := env[name].(intrinsic)
		if !ok || ref.Fn != "Ref" || params[ref.Arg.(string)] == nil {
			t.Errorf("Environment %s: got %v; want !Ref to a parameter", name, env[name])
		}
	}
	wait := params["Wait"].(map[string]any)
	pattern := regexp.MustCompile(wait["AllowedPattern"].(string))
	if !pattern.MatchString(wait["Default"].(string)) || !pattern.MatchString("13m") || pattern.MatchString("14m") || pattern.MatchString("1h") {
		t.Errorf("Wait AllowedPattern %s: want the default and 1m to 13m only", pattern)
	}
	timeout, _ := strconv.Atoi(fmt.Sprint(fn["Timeout"]))
	if need := needTimeout(t, "13m"); time.Duration(timeout)*time.Second < need {
		t.Errorf("Timeout %ds: want at least %s for the longest DR_WAIT", timeout, need)
	}

	var local map[string]map[string]string
	decodeJSON(t, "../../../env.json", &local)
	settings, ok := local["PauseFunction"]
	if !ok || settings["DR_SIMULATE"] != "true" || settings["DR_SECRETS_ARN"] != "" {
		t.Errorf("env.json: got %v; want PauseFunction on the simulator, without DR_SECRETS_ARN", settings)
	}
	for name := range settings {
		if _, ok := env[name]; !ok {
			t.Errorf("env.json sets %s, which the template does not declare: SAM would ignore it", name)
		}
	}
}

// TestSAMLogGroupAndOutputs: the log group can be left behind without blocking a new stack of the
// same name, and every route has its URL among the outputs.
func TestSAMLogGroupAndOutputs(t *testing.T) {
	tmpl := samTemplate(t)
	lg := dig(t, tmpl, "Resources", "PauseLogGroup").(map[string]any)
	if dig(t, lg, "Properties", "LogGroupName") != nil && lg["DeletionPolicy"] == "Retain" {
		t.Error("PauseLogGroup: a fixed name with Retain makes re-creating a deleted stack fail")
	}
	if got := dig(t, tmpl, "Resources", "PauseFunction", "Properties", "LoggingConfig", "LogGroup"); got != (intrinsic{"Ref", "PauseLogGroup"}) {
		t.Errorf("LoggingConfig.LogGroup: got %v; want !Ref PauseLogGroup", got)
	}
	var urls []string
	for _, o := range dig(t, tmpl, "Outputs").(map[string]any) {
		if sub, ok := o.(map[string]any)["Value"].(intrinsic); ok && sub.Fn == "Sub" {
			urls = append(urls, sub.Arg.(string))
		}
	}
	for _, route := range []string{"slack/commands", "slack/interactions", "alerts/alertmanager", "alerts/grafana", "alerts/smn", "invoke"} {
		if !slices.Contains(urls, "${PauseFunctionUrl.FunctionUrl}"+route) {
			t.Errorf("Outputs: no URL of /%s", route)
		}
	}
}

// TestSAMConfig: sam deploy --guided can create the template's IAM policy, and sam local invoke
// reads env.json.
func TestSAMConfig(t *testing.T) {
	cfg := string(readFile(t, "../../../samconfig.toml"))
	for _, want := range []string{`capabilities = "CAPABILITY_IAM"`, `env_vars = "env.json"`, `stack_name = "drpause"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("samconfig.toml: no %s", want)
		}
	}
	var v map[string]any
	if json.Unmarshal(readFile(t, "../../../env.json"), &v) != nil {
		t.Error("env.json: not JSON")
	}
}
