package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// maxSecretFile bounds what a NAME_FILE may hold: secrets are short, and a path pointing at
// /dev/zero or a log file must not stall start-up or fill memory.
const maxSecretFile = 64 << 10

// secretField is one secret variable and where its value goes in the Config.
type secretField struct {
	name string
	set  func(string)
	get  func() string
}

// secretFields lists every secret variable of the interface file. Each may be given as
// NAME_FILE instead, the convention of Docker and Kubernetes secrets and of OpenFaaS, which
// mounts them at /var/openfaas/secrets/<name>.
func (c *Config) secretFields() []secretField {
	return []secretField{
		{"HUAWEICLOUD_SDK_AK", func(v string) { c.AccessKey = v }, func() string { return c.AccessKey }},
		{"HUAWEICLOUD_SDK_SK", func(v string) { c.SecretKey = Secret(v) }, func() string { return c.SecretKey.Reveal() }},
		{"HUAWEICLOUD_SDK_SECURITY_TOKEN", func(v string) { c.SecurityToken = Secret(v) }, func() string { return c.SecurityToken.Reveal() }},
		{"SLACK_SIGNING_SECRET", func(v string) { c.SlackSigningSecret = Secret(v) }, func() string { return c.SlackSigningSecret.Reveal() }},
		{"SLACK_BOT_TOKEN", func(v string) { c.SlackBotToken = Secret(v) }, func() string { return c.SlackBotToken.Reveal() }},
		{"DR_INVOKE_TOKEN", func(v string) { c.InvokeToken = Secret(v) }, func() string { return c.InvokeToken.Reveal() }},
		{"DR_ALERT_TOKEN", func(v string) { c.AlertToken = Secret(v) }, func() string { return c.AlertToken.Reveal() }},
		{"DR_GRAFANA_SECRET", func(v string) { c.GrafanaSecret = Secret(v) }, func() string { return c.GrafanaSecret.Reveal() }},
	}
}

// readSecretFiles fills each secret given as NAME_FILE from that file. The value stays in the
// Config only: it is never put back into the process environment, where child processes and
// /proc/<pid>/environ would see it. An empty variable counts as unset, since templates (SAM,
// Compose) often pass "" for what is not used.
//
// Errors name the variables and never echo a value, nor the path: a secret pasted into
// NAME_FILE by mistake would otherwise be printed.
func (c *Config) readSecretFiles() error {
	for _, f := range c.secretFields() {
		path := os.Getenv(f.name + "_FILE")
		if path == "" {
			continue
		}
		if os.Getenv(f.name) != "" {
			return fmt.Errorf("%s and %s_FILE are both set: give the secret one way", f.name, f.name)
		}
		v, err := readSecretFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", f.name, err)
		}
		f.set(v)
		c.fromFiles = append(c.fromFiles, f.name)
	}
	return nil
}

// Where a secret's value came from, as SecretSources reports it.
const (
	FromEnvironment = "environment"
	FromFile        = "file"
	// FromSecretsManager: the DR_SECRETS_ARN secret, re-read after a rotation.
	FromSecretsManager = "Secrets Manager (DR_SECRETS_ARN)"
)

// SecretSource names where the value of one secret variable came from.
type SecretSource struct {
	Variable string // e.g. SLACK_BOT_TOKEN
	From     string // FromEnvironment or FromFile (NAME_FILE)
}

// SecretSources lists the secret variables that hold a value, in the interface file's order,
// and where each came from, for the self-check. It holds names only, never a value.
func (c *Config) SecretSources() []SecretSource {
	var out []SecretSource
	for _, f := range c.secretFields() {
		if f.get() == "" {
			continue
		}
		from := FromEnvironment
		switch {
		case slices.Contains(c.fromFiles, f.name):
			from = FromFile
		case slices.Contains(c.fromARN, f.name):
			from = FromSecretsManager
		}
		out = append(out, SecretSource{Variable: f.name, From: from})
	}
	return out
}

// readSecretFile returns the file's content without one trailing newline ("\n" or "\r\n"),
// which echo and most editors add.
func readSecretFile(path string) (string, error) {
	r, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the file: %s", reason(err))
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxSecretFile+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("cannot read the file: %s", reason(err))
	case len(b) > maxSecretFile:
		return "", fmt.Errorf("the file is larger than %d bytes: want the secret alone", maxSecretFile)
	}
	v := string(b)
	if t, ok := strings.CutSuffix(v, "\r\n"); ok {
		v = t
	} else {
		v = strings.TrimSuffix(v, "\n")
	}
	if v == "" {
		return "", errors.New("the file is empty")
	}
	return v, nil
}

// reason is the cause of a file error without the path it carries.
func reason(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return "unreadable"
}
