package awsapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dws-dr/drpause/pkg/endpoint"
	"log/slog"
	"net/url"
	"strings"
)

// Service names an AWS service by its SDK service id, the name the SDK derives the
// AWS_ENDPOINT_URL_<SERVICE> variable from.
type Service string

// The services this package calls.
const (
	DynamoDB       Service = "DynamoDB"
	Lambda         Service = "Lambda"
	SecretsManager Service = "Secrets Manager"
)

// services is what each service needs on the wire. The endpoint prefix and the signing name are
// the same for all three: dynamodb, lambda, secretsmanager.
var services = map[Service]struct {
	prefix      string // endpoint prefix and SigV4 signing name
	jsonVersion string // "1.0" or "1.1": Content-Type application/x-amz-json-<v>; "" for REST
	target      string // X-Amz-Target prefix of the JSON protocol
}{
	// DynamoDB: JSON 1.0, X-Amz-Target DynamoDB_20120810.<Operation>.
	DynamoDB: {prefix: "dynamodb", jsonVersion: "1.0", target: "DynamoDB_20120810"},
	// Lambda is a REST JSON service (POST /2015-03-31/functions/{name}/invocations).
	Lambda: {prefix: "lambda"},
	// Secrets Manager: JSON 1.1, X-Amz-Target secretsmanager.<Operation>.
	SecretsManager: {prefix: "secretsmanager", jsonVersion: "1.1", target: "secretsmanager"},
}

// EnvName is the variable that overrides the service's endpoint, AWS_ENDPOINT_URL_ followed by
// the service id upper-cased with spaces turned into underscores: AWS_ENDPOINT_URL_DYNAMODB,
// AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_SECRETS_MANAGER. This is the SDK's rule, in
// aws-sdk-go-v2 config/env_config.go (GetServiceBaseEndpoint and normalizeEnv).
func (s Service) EnvName() string {
	return "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(string(s)), " ", "_")
}

// Credentials are AWS access keys, as Lambda hands them to a function in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // temporary credentials only
}

// LogValue redacts the secret parts for log/slog.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_key_id", c.AccessKeyID),
		slog.String("secret_access_key", "[redacted]"),
		slog.Bool("temporary", c.SessionToken != ""),
	)
}

// Format redacts the secret parts for every fmt verb, %#v and %+v included.
func (c Credentials) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{AccessKeyID:%s SecretAccessKey:[redacted] temporary:%t}", c.AccessKeyID, c.SessionToken != "")
}

// MarshalJSON redacts the secret parts of credentials nested in a value encoded as JSON.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Temporary       bool   `json:"temporary"`
	}{c.AccessKeyID, "[redacted]", c.SessionToken != ""})
}

// FromEnv reads a Config the way the SDK reads its environment (aws-sdk-go-v2 config/env_config.go,
// NewEnvConfig): the region from AWS_REGION, else AWS_DEFAULT_REGION; the keys from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (else AWS_ACCESS_KEY and AWS_SECRET_KEY), with
// AWS_SESSION_TOKEN only when both keys are set; and each service's endpoint from its own
// variable (Service.EnvName), else AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// is true. The service variable wins over the global one as in the SDK's resolveBaseEndpoint
// (service/lambda endpoints.go). Shared config files, profiles and the container and instance
// credential providers are not read: Lambda puts the keys in the environment.
//
// It checks what New would and names the variable at fault, never its value.
func FromEnv(getenv func(string) string) (Config, error) {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	cfg := Config{Region: first("AWS_REGION", "AWS_DEFAULT_REGION")}
	if cfg.Region == "" {
		return Config{}, errors.New("awsapi: AWS_REGION is not set")
	}
	if !validRegion(cfg.Region) {
		return Config{}, errors.New("awsapi: AWS_REGION is not a region name")
	}
	cfg.Credentials = Credentials{
		AccessKeyID:     first("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"),
		SecretAccessKey: first("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"),
	}
	if cfg.Credentials.AccessKeyID == "" || cfg.Credentials.SecretAccessKey == "" {
		return Config{}, errors.New("awsapi: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required (Lambda sets them)")
	}
	cfg.Credentials.SessionToken = getenv("AWS_SESSION_TOKEN")

	// The SDK accepts true or false, in any case, and refuses anything else.
	switch ignore := getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); {
	case strings.EqualFold(ignore, "true"):
		return cfg, nil
	case ignore != "" && !strings.EqualFold(ignore, "false"):
		return Config{}, errors.New("awsapi: AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: want true or false")
	}
	for s := range services {
		name := s.EnvName()
		v := getenv(name)
		if v == "" {
			name, v = "AWS_ENDPOINT_URL", getenv("AWS_ENDPOINT_URL")
		}
		if v == "" {
			continue
		}
		if _, err := parseEndpoint(v); err != nil {
			return Config{}, fmt.Errorf("awsapi: %s: %w", name, err)
		}
		if cfg.Endpoints == nil {
			cfg.Endpoints = map[Service]string{}
		}
		cfg.Endpoints[s] = v
	}
	return cfg, nil
}

// defaultEndpoint is https://{prefix}.{region}.{dnsSuffix}, the standard endpoint of the three
// services (their endpoint rules in aws-sdk-go-v2 service/*/endpoints.go), with the DNS suffix
// of the region's partition from internal/endpoints/awsrulesfn/partitions.json.
func defaultEndpoint(prefix, region string) string {
	return "https://" + prefix + "." + region + "." + dnsSuffix(region)
}

func dnsSuffix(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "amazonaws.com.cn"
	case strings.HasPrefix(region, "eusc-"):
		return "amazonaws.eu"
	case strings.HasPrefix(region, "us-isob-"):
		return "sc2s.sgov.gov"
	case strings.HasPrefix(region, "us-isof-"):
		return "csp.hci.ic.gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "c2s.ic.gov"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "cloud.adc-e.uk"
	}
	return "amazonaws.com" // aws and aws-us-gov
}

// validRegion keeps a region a plain sequence of DNS labels (us-east-1), so it cannot change
// the endpoint's host.
func validRegion(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// parseEndpoint refuses an endpoint a signed request should not go to: X-Amz-Security-Token
// would travel in clear over plain http, so that is for loopback only (tests, local
// DynamoDB-compatible servers). Its errors never quote the endpoint.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := endpoint.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	return u, nil
}
