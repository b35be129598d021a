package client_test

import (
	"crypto/tls"
	"net/http"
)

// insecureH2Client talks HTTP/2 to httptest's TLS servers.
func insecureH2Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // test servers' own certificates
		ForceAttemptHTTP2: true,
	}}
}
