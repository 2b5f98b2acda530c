package config

import (
	"errors"
	"fmt"
	"os"
)

// SecretReader reads the AWS Secrets Manager secret named by arn (DR_SECRETS_ARN) and returns
// the secret variables it holds, by name; empty values are left out. Its errors name what is
// wrong and never hold a value.
type SecretReader func(arn string) (map[string]string, error)

// SecretNames lists the secret variables: the keys a DR_SECRETS_ARN secret may hold, and the
// variables that may be given as NAME_FILE.
func SecretNames() []string {
	var c Config
	fields := c.secretFields()
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

// readSecretsARN fills the secret variables the DR_SECRETS_ARN secret holds. A variable also
// given in the environment, as NAME or NAME_FILE, is an error: two sources for one secret would
// leave it to chance which one a rotation reaches.
func (c *Config) readSecretsARN(read SecretReader) error {
	if c.SecretsARN == "" {
		return nil
	}
	if read == nil {
		return errors.New("DR_SECRETS_ARN: not supported by this program")
	}
	values, err := read(c.SecretsARN)
	if err != nil {
		return fmt.Errorf("DR_SECRETS_ARN: %w", err)
	}
	for _, f := range c.secretFields() {
		v := values[f.name]
		if v == "" {
			continue
		}
		if os.Getenv(f.name) != "" || os.Getenv(f.name+"_FILE") != "" {
			return fmt.Errorf("%s: set in the environment and in the DR_SECRETS_ARN secret: give each secret one way "+
				"(remove %s and %s_FILE, or the key from the secret)", f.name, f.name, f.name)
		}
		f.set(v)
		c.fromARN = append(c.fromARN, f.name)
	}
	return nil
}
