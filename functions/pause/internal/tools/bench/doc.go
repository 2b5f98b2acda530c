// Package bench holds `make bench`: the whole-process harness in cmd/harness and the reference
// programs it measures drpause against in the same run, because numbers from these shared,
// noisy machines mean something only next to a reference taken under the same conditions.
//
//   - hello: the aws-lambda-go hello world, the floor for binary size and cold start;
//   - bareserver: a net/http server that reads the body and answers 200, the throughput limit;
//   - verifyserver: a server that verifies Slack's signature with slack-go and parses the form,
//     the least work any correct Slack endpoint does, the reference for CPU per request.
package bench
