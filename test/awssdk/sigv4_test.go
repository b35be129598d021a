package awssdk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

// TestFunctionURLIAM signs requests with the AWS SDK's own SigV4 signer and
// checks that an AWS_IAM Function URL admits exactly those.
func TestFunctionURLIAM(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := emulatortest.Start(t, emulator.Config{Name: "echo", AuthType: "AWS_IAM", Region: "eu-west-1",
		Credentials: map[string]string{"AKIDEXAMPLE": "secret"}})
	echoRuntime(t, ctx, e.RuntimeAPIAddr())

	sign := func(req *http.Request, body []byte, secret string) {
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", hash)
		err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: secret}, req, hash, "lambda", "eu-west-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	body := []byte(`{"hello":"signed"}`)
	newReq := func() *http.Request {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.URL()+"/pkg.Svc/Method?b=2&a=1", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}

	req := newReq()
	sign(req, body, "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("signed request: %d %s", resp.StatusCode, out)
	}
	var echoed map[string]string
	var event struct {
		RequestContext struct {
			Authorizer struct {
				IAM struct {
					AccessKey string `json:"accessKey"`
				} `json:"iam"`
			} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if json.Unmarshal(out, &echoed) != nil || json.Unmarshal([]byte(echoed["event"]), &event) != nil || event.RequestContext.Authorizer.IAM.AccessKey != "AKIDEXAMPLE" {
		t.Fatalf("the event does not name the caller: %s", out)
	}

	// UNSIGNED-PAYLOAD is S3's: a Function URL checks the body against the
	// signature, so a body that is not signed is refused, changed or not.
	unsignedPayload := func(sent []byte) *http.Request {
		r := newReq()
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, r, "UNSIGNED-PAYLOAD", "lambda", "eu-west-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(sent)), int64(len(sent))
		return r
	}
	// Every x-amz-* header a request carries must be signed; other headers
	// (X-Amzn-Trace-Id, which signers leave out, among them) need not be.
	for name, c := range map[string]struct {
		header, value string
		code          int
	}{
		"unsigned X-Amz-* header":  {"X-Amz-Meta-Role", "admin", http.StatusForbidden},
		"unsigned X-Amz-Target":    {"X-Amz-Target", "Other", http.StatusForbidden},
		"unsigned X-Amzn-Trace-Id": {"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793", http.StatusOK},
		"unsigned other header":    {"X-Other", "1", http.StatusOK},
	} {
		r := newReq()
		sign(r, body, "secret")
		r.Header.Set(c.header, c.value)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, c.code)
		}
	}

	for name, req := range map[string]*http.Request{
		"unsigned payload":           unsignedPayload(body),
		"unsigned payload, new body": unsignedPayload([]byte(`{"hello":"FORGED"}`)), // same length: content-length still matches
		"unsigned":                   newReq(),
		"bad secret":                 func() *http.Request { r := newReq(); sign(r, body, "wrong"); return r }(),
		"tampered body": func() *http.Request {
			r := newReq()
			sign(r, body, "secret")
			r.Body = io.NopCloser(bytes.NewReader([]byte(`{"hello":"tampered"}`)))
			r.ContentLength = int64(len(`{"hello":"tampered"}`))
			return r
		}(),
	} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
}
