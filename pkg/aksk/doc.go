// Package aksk signs and verifies Huawei Cloud API requests with an access key pair, using the
// SDK-HMAC-SHA256 scheme of the official SDKs and the API gateway. It is small and needs only the
// standard library, so every Huawei Cloud call made here (the DWS client, its simulator, and any
// later API) signs one way, pinned by the test vectors checked against the official signer.
package aksk
