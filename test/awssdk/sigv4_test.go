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

	for name, req := range map[string]*http.Request{
		"unsigned":   newReq(),
		"bad secret": func() *http.Request { r := newReq(); sign(r, body, "wrong"); return r }(),
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
