package awsapi

import (
	"maps"
	"strings"
	"testing"
)

func TestServiceEnvName(t *testing.T) {
	for s, want := range map[Service]string{
		DynamoDB:       "AWS_ENDPOINT_URL_DYNAMODB",
		Lambda:         "AWS_ENDPOINT_URL_LAMBDA",
		SecretsManager: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
	} {
		if got := s.EnvName(); got != want {
			t.Errorf("%s: got %s; want %s", s, got, want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	base := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "sk-canary", "AWS_SESSION_TOKEN": "TOKEN"}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name      string
		env       map[string]string
		endpoints map[Service]string // what New resolves
		wantErr   string             // part of the error
	}{
		{
			name: "standard endpoints",
			env:  base,
			endpoints: map[Service]string{
				DynamoDB: "https://dynamodb.eu-west-1.amazonaws.com", Lambda: "https://lambda.eu-west-1.amazonaws.com",
				SecretsManager: "https://secretsmanager.eu-west-1.amazonaws.com",
			},
		},
		{
			name: "China partition",
			env:  with("AWS_REGION", "cn-north-1"),
			endpoints: map[Service]string{
				DynamoDB: "https://dynamodb.cn-north-1.amazonaws.com.cn", Lambda: "https://lambda.cn-north-1.amazonaws.com.cn",
				SecretsManager: "https://secretsmanager.cn-north-1.amazonaws.com.cn",
			},
		},
		{
			name: "service variable wins over the global one",
			env:  with("AWS_ENDPOINT_URL", "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000/", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "https://sm.example"),
			endpoints: map[Service]string{
				DynamoDB: "http://localhost:8000", Lambda: "http://127.0.0.1:4566", SecretsManager: "https://sm.example",
			},
		},
		{
			name: "ignore configured endpoints",
			env:  with("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
			endpoints: map[Service]string{
				DynamoDB: "https://dynamodb.eu-west-1.amazonaws.com", Lambda: "https://lambda.eu-west-1.amazonaws.com",
				SecretsManager: "https://secretsmanager.eu-west-1.amazonaws.com",
			},
		},
		{
			name: "AWS_DEFAULT_REGION and the old key names",
			env:  map[string]string{"AWS_DEFAULT_REGION": "us-gov-west-1", "AWS_ACCESS_KEY": "AKID", "AWS_SECRET_KEY": "SECRET"},
			endpoints: map[Service]string{
				DynamoDB: "https://dynamodb.us-gov-west-1.amazonaws.com", Lambda: "https://lambda.us-gov-west-1.amazonaws.com",
				SecretsManager: "https://secretsmanager.us-gov-west-1.amazonaws.com",
			},
		},
		{name: "no region", env: with("AWS_REGION", ""), wantErr: "AWS_REGION is not set"},
		{name: "odd region", env: with("AWS_REGION", "evil.com/x"), wantErr: "AWS_REGION is not a region"},
		{name: "no secret", env: with("AWS_SECRET_ACCESS_KEY", ""), wantErr: "AWS_SECRET_ACCESS_KEY are required"},
		{name: "plain http elsewhere", env: with("AWS_ENDPOINT_URL_DYNAMODB", "http://10.0.0.1:8000"), wantErr: "AWS_ENDPOINT_URL_DYNAMODB: endpoint: plain http only for loopback hosts"},
		{name: "user info", env: with("AWS_ENDPOINT_URL", "https://user:pw-canary@h"), wantErr: "AWS_ENDPOINT_URL: endpoint: must not carry a user name or password"},
		{name: "bad ignore flag", env: with("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "yes"), wantErr: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v; want an error with %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw-canary") || strings.Contains(err.Error(), "sk-canary") {
					t.Errorf("error quotes a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for s, want := range tt.endpoints {
				if got := c.Endpoint(s); got != want {
					t.Errorf("%s: got %s; want %s", s, got, want)
				}
			}
		})
	}
}

func TestFromEnvSessionToken(t *testing.T) {
	env := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T"}
	cfg, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Credentials != (Credentials{AccessKeyID: "AKID", SecretAccessKey: "S", SessionToken: "T"}) || cfg.Region != "us-east-1" {
		t.Errorf("got region %s, credentials %+v (token set: %t)", cfg.Region, cfg.Credentials, cfg.Credentials.SessionToken == "T")
	}
}

func TestNewRefuses(t *testing.T) {
	ok := Config{Region: "us-east-1", Credentials: Credentials{AccessKeyID: "A", SecretAccessKey: "S"}}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no region", func(c *Config) { c.Region = "" }},
		{"region with a dot", func(c *Config) { c.Region = "us-east-1.evil" }},
		{"no secret key", func(c *Config) { c.Credentials.SecretAccessKey = "" }},
		{"ftp endpoint", func(c *Config) { c.Endpoints = map[Service]string{DynamoDB: "ftp://h"} }},
		{"endpoint with a query", func(c *Config) { c.Endpoints = map[Service]string{DynamoDB: "https://h/?a=b"} }},
		{"unknown service", func(c *Config) { c.Endpoints = map[Service]string{"S3": "https://h"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if _, err := New(cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	if _, err := New(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}
