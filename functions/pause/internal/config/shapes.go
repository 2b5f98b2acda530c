package config

import (
	"errors"
	"regexp"
	"slices"

	"github.com/dws-dr/drpause/functions/pause/internal/access"
)

// regionShape is how Huawei Cloud names regions: two letters, a name, a number (cn-north-4,
// eu-west-101, sa-brazil-1). A value of another shape cannot be a region, whatever new regions
// appear; CloudFormation's template.yaml holds the same pattern.
var regionShape = regexp.MustCompile(`^[a-z]{2}-[a-z]+-[0-9]+$`)

// knownRegions are the DWS regions of the Huawei Cloud Go SDK, services/dws/v2/region/region.go
// (github.com/huaweicloud/huaweicloud-sdk-go-v3, commit aa2cb254cb6f). A well-shaped region
// missing here only warns: regions are added faster than this list is.
var knownRegions = []string{
	"af-north-1", "af-south-1", "ae-ad-1",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"cn-east-2", "cn-east-3", "cn-east-5",
	"cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9",
	"cn-south-1", "cn-southwest-2",
	"eu-west-101",
	"la-north-2", "la-south-2", "na-mexico-1", "ru-moscow-1", "sa-brazil-1", "tr-west-1",
}

// isProjectID reports whether s has the shape of a Huawei Cloud project id: 32 lowercase hex
// characters, as every project id in the DWS API reference and IAM's "Obtaining a Project ID"
// examples is (UNVERIFIED as a rule: no page states the format). (Not a regexp: ^[0-9a-f]{32}$ compiles into 32 copies, a quarter
// of a millisecond of every cold start.)
func isProjectID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkShapes refuses ids that cannot be what their variable names. Each would otherwise start
// and then fail on every request (a region or project that does not exist), or allow nobody
// without a word (a user or channel name where Slack sends ids). Errors never quote the value.
func (c *Config) checkShapes() error {
	if c.Region != "" && !regionShape.MatchString(c.Region) {
		return errors.New("DR_REGION: invalid: want a region id such as cn-north-4 (lowercase: letters-name-number)")
	}
	if c.ProjectID != "" && !isProjectID(c.ProjectID) {
		return errors.New("DR_PROJECT_ID: invalid: want the project's id, 32 lowercase hex characters (console: My Credentials, API Credentials), not its name")
	}
	if c.AlertChannel != "" && !access.IsChannelID(c.AlertChannel) {
		return errors.New("DR_ALERT_CHANNEL: not a Slack channel id: want an id such as C012AB3CD (the channel's About tab), not its name")
	}
	return nil
}

// Warning is a setting that starts but deserves a look; main logs each at start.
type Warning struct {
	Variable string
	Message  string
}

// Warnings lists the settings of c that start but may not do what was meant. Like errors, they
// name the variable and never quote its value.
func (c *Config) Warnings() []Warning {
	var ws []Warning
	if c.Region != "" && !slices.Contains(knownRegions, c.Region) {
		ws = append(ws, Warning{"DR_REGION", "not a DWS region this version knows: check the spelling (a region newer than this version is fine)"})
	}
	if c.AgencyOnly() {
		ws = append(ws, Warning{"HUAWEICLOUD_SDK_AK", "not set, nor HUAWEICLOUD_SDK_SK: every DR API call needs the temporary credentials of a FunctionGraph agency in the request's X-CFF-Security-* headers; requests without them are refused"})
	}
	switch {
	case len(c.AllowedUsers) == 0:
		ws = append(ws, Warning{"DR_ALLOWED_USERS", "empty: nobody may pause, or approve an alert's card, from Slack"})
	case slices.Contains(c.AllowedUsers, "*"):
		ws = append(ws, Warning{"DR_ALLOWED_USERS", "*: every member of the Slack workspace may pause, guests included; list user ids instead"})
	}
	return ws
}
