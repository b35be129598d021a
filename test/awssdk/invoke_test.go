package awssdk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

// echoRuntime is a raw runtime: it echoes each event, streams it back in
// three pieces when asked to stream, or fails when the event says "fail".
func echoRuntime(t *testing.T, ctx context.Context, addr string) {
	base := "http://" + addr + "/2018-06-01/runtime/invocation/"
	go func() {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"next", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			event, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
			cc := resp.Header.Get("Lambda-Runtime-Client-Context")
			switch {
			case bytes.Contains(event, []byte("fail")):
				post(ctx, base+id+"/error", "application/json", strings.NewReader(`{"errorMessage":"asked to fail","errorType":"Function.Asked"}`), nil)
			case bytes.Contains(event, []byte("stream")):
				pr, pw := io.Pipe()
				go func() {
					for _, part := range []string{"one,", "two,", "three"} {
						pw.Write([]byte(part))
						time.Sleep(20 * time.Millisecond)
					}
					pw.Close()
				}()
				post(ctx, base+id+"/response", "text/plain", pr, map[string]string{"Lambda-Runtime-Function-Response-Mode": "streaming"})
			default:
				out, _ := json.Marshal(map[string]string{"event": string(event), "clientContext": cc})
				fmt.Println("runtime: log line for", id)
				post(ctx, base+id+"/response", "application/json", bytes.NewReader(out), nil)
			}
		}
	}()
}

func post(ctx context.Context, url, ct string, body io.Reader, hdr map[string]string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	req.Header.Set("Content-Type", ct)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

func sdkClient(e *emulator.Emulator) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.InvokeEndpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

func TestSDKInvoke(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := emulatortest.Start(t, emulator.Config{Name: "echo", Timeout: 5 * time.Second})
	echoRuntime(t, ctx, e.RuntimeAPIAddr())
	c := sdkClient(e)

	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"hello":1}`), ClientContext: aws.String(cc), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(out.Payload, &got); err != nil || got["event"] != `{"hello":1}` || got["clientContext"] != `{"custom":{"k":"v"}}` {
		t.Fatalf("payload %s (%v)", out.Payload, err)
	}
	if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Fatalf("status %d, function error %v, version %v", out.StatusCode, out.FunctionError, out.ExecutedVersion)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if !strings.Contains(string(logs), "START RequestId:") {
		t.Errorf("log tail %q lacks the START line", logs)
	}

	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:echo"), Payload: []byte(`"fail"`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) == "" || !strings.Contains(string(out.Payload), "Function.Asked") {
		t.Fatalf("function error %v, payload %s", out.FunctionError, out.Payload)
	}

	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Fatalf("DryRun: %v %v", out, err)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event: %v %v", out, err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown function: %v, want ResourceNotFoundException", err)
	}
}

func TestSDKInvokeWithResponseStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := emulatortest.Start(t, emulator.Config{Name: "echo", Timeout: 5 * time.Second})
	echoRuntime(t, ctx, e.RuntimeAPIAddr())
	out, err := sdkClient(e).InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("echo"), Payload: []byte(`"stream"`)})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var chunks []string
	var complete *types.InvokeWithResponseStreamCompleteEvent
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			chunks = append(chunks, string(v.Value.Payload))
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			complete = &v.Value
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(chunks, "") != "one,two,three" || len(chunks) < 2 {
		t.Fatalf("chunks %q: want the function's three writes, as separate events", chunks)
	}
	if complete == nil || complete.ErrorCode != nil {
		t.Fatalf("InvokeComplete %+v", complete)
	}
	if aws.ToString(out.ResponseStreamContentType) != "text/plain" {
		t.Errorf("content type %q", aws.ToString(out.ResponseStreamContentType))
	}
}

// TestSDKInvokeAsLambda: through the AWS SDK, a payload that is not JSON is
// InvalidRequestContentException, as on Lambda, and the SDK finds each
// answer's request id (x-amzn-RequestId) and a log tail that ends with the
// invocation's END and REPORT lines.
func TestSDKInvokeAsLambda(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := emulatortest.Start(t, emulator.Config{Name: "echo", Timeout: 5 * time.Second})
	echoRuntime(t, ctx, e.RuntimeAPIAddr())
	c := sdkClient(e)

	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`not json`)})
	var bad *types.InvalidRequestContentException
	if !errors.As(err, &bad) {
		t.Fatalf("payload that is not JSON: %v, want InvalidRequestContentException", err)
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"hello":1}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if !ok || id == "" || !strings.Contains(string(logs), "END RequestId: "+id+"\nREPORT RequestId: "+id+"\t") {
		t.Errorf("request id %q (%v); log tail:\n%s\nwant the request id, and the invocation's END and REPORT lines in the tail", id, ok, logs)
	}
}
