// Package drapi is a small client for the GaussDB(DWS) disaster-recovery API of Huawei Cloud,
// signed with AK/SK by package aksk and made for one job: pausing a DR pair and following it
// until it is stopped, and starting it again afterwards. Besides aksk it uses only the standard
// library; it never logs, retries only what is safe to retry, and never sends a pause or a start
// twice unless the gateway throttled the first one.
package drapi
