// Package alerts turns alert webhooks (Prometheus Alertmanager, Grafana, Huawei Cloud SMN) into at
// most one pause proposal per request. Alert systems repeat, duplicate and storm, so the package
// authenticates every request before acting on it, counts only firing alerts, refuses requests that
// name too many DR pairs at once, and leaves the Slack side and the DR status check to Actions.
package alerts
