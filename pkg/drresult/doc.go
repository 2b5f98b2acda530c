// Package drresult classifies how an operation on a disaster-recovery task ended, once, from what
// the DR API client observed, its error and why the caller stopped following. Every renderer (the
// audit line, the Slack message, the /invoke answer) reads the one Result, so they cannot disagree.
package drresult
