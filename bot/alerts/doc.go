// Package alerts turns alert webhooks (Prometheus Alertmanager, Grafana, Huawei Cloud SMN) into at
// most one pause proposal per request. Alert systems repeat, duplicate and storm, so the package
// authenticates every request before acting on it, counts only firing alerts, refuses requests that
// name too many DR pairs at once or that would take the alerts past a few pairs within a window,
// and leaves the Slack side and the DR status check to Actions. Dedup and that storm budget live
// in a ledger every instance shares, so they hold across instances and restarts.
package alerts
