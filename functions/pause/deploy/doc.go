// Package deploy holds no code: its folders are the deployment files of every runtime the README
// names besides AWS Lambda (cloudrun for Cloud Run and Knative, azure, openfaas, functiongraph),
// and its tests check in them what a deployment depends on: the port, a timeout that covers
// DR_WAIT, CPU kept after the answer, secrets given as files, a non-root image, least privilege.
// sam_test.go checks the same of AWS Lambda's SAM files at the repository root (template.yaml,
// samconfig.toml, env.json).
package deploy
