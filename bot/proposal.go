package bot

// Proposal is a pause asked for by something other than a person in Slack: an alert. One Proposal
// becomes one Slack message, however many alerts the request carried.
type Proposal struct {
	Channel string            // Slack channel id for the card or the result (DR_ALERT_CHANNEL)
	Source  string            // "alertmanager", "grafana" or "smn"
	Title   string            // alert name or subject, as the source named it
	IDs     []string          // distinct DR ids, already validated and allow-listed, at most DR_ALERT_MAX_IDS
	Labels  map[string]string // labels to show (common labels of the firing alerts)
	Links   []Link            // where the alert came from: generatorURL, externalURL, silenceURL
	Dropped []string          // ids named by firing alerts but not allow-listed: reported, never paused
}

// Link is a labelled URL shown on a card.
type Link struct {
	Text string
	URL  string
}
