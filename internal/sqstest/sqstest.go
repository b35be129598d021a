// Package sqstest starts a real SQS- and SNS-compatible server for tests:
// moto's standalone server (moto_server), which speaks the AWS JSON 1.0
// protocol of the current aws-sdk-go-v2 service/sqs and the Query protocol
// of service/sns, honours a queue's RedrivePolicy and VisibilityTimeout, and
// delivers SNS notifications to subscribed queues.
//
// The server is found as LAMBDAGRPC_MOTO_SERVER, else moto_server on the
// PATH. A test on a machine without it is skipped, except in CI (CI set),
// where that is a failure.
package sqstest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Region is the region the clients of this package use.
const Region = "us-east-1"

// Server is a running SQS- and SNS-compatible server.
type Server struct {
	// Endpoint is the server's base URL, for the AWS SDK's BaseEndpoint.
	Endpoint string
}

// serverPath returns the server's executable, or fails or skips t.
func serverPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LAMBDAGRPC_MOTO_SERVER"); p != "" {
		return p
	}
	if p, err := exec.LookPath("moto_server"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("moto_server is not installed (pip install 'moto[server]'), or set LAMBDAGRPC_MOTO_SERVER to its path")
	}
	t.Skip("moto_server is not installed: pip install 'moto[server]' to run the SQS tests")
	return ""
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// Start starts a server for t on a free loopback port and stops it when
// the test ends. It fails t if the server does not come up in 30 seconds,
// or exits (a port taken in the meantime, for one).
func Start(t testing.TB) *Server {
	t.Helper()
	bin := serverPath(t)
	port := freePort(t)
	var out bytes.Buffer
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("sqstest: start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	var waitErr atomic.Value
	go func() {
		if err := cmd.Wait(); err != nil {
			waitErr.Store(err)
		}
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}
	deadline := time.Now().Add(30 * time.Second)
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		select {
		case <-exited:
			t.Fatalf("sqstest: %s exited before it served (%v): %s", bin, waitErr.Load(), out.String())
		default:
		}
		if resp, err := hc.Get(s.Endpoint + "/moto-api/"); err == nil {
			_ = resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sqstest: %s did not serve on %s within 30s: %s", bin, s.Endpoint, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Credentials are the static credentials the server accepts.
var Credentials = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// httpClient keeps no idle connections, so that a test's clients leave no
// goroutine behind for goleak to find.
var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// SQS returns an SQS client for the server.
func (s *Server) SQS() *sqs.Client {
	return sqs.New(sqs.Options{Region: Region, BaseEndpoint: aws.String(s.Endpoint), Credentials: Credentials, HTTPClient: httpClient})
}

// SNS returns an SNS client for the server.
func (s *Server) SNS() *sns.Client {
	return sns.New(sns.Options{Region: Region, BaseEndpoint: aws.String(s.Endpoint), Credentials: Credentials, HTTPClient: httpClient})
}

// Queue is a queue created on the server.
type Queue struct {
	URL string
	ARN string
}

// CreateQueue creates a queue named name with the given attributes, failing
// t on error.
func (s *Server) CreateQueue(t testing.TB, name string, attrs map[string]string) Queue {
	t.Helper()
	ctx := context.Background()
	c := s.SQS()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("sqstest: create queue %s: %v", name, err)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("sqstest: queue %s ARN: %v", name, err)
	}
	return Queue{URL: *out.QueueUrl, ARN: a.Attributes["QueueArn"]}
}

// RedrivePolicy is a queue's RedrivePolicy attribute sending messages to
// the queue dlqARN after maxReceiveCount receives.
func RedrivePolicy(dlqARN string, maxReceiveCount int) string {
	return fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, dlqARN, maxReceiveCount)
}
