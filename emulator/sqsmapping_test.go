package emulator_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/sqstest"
)

// sqsEvent is the part of Lambda's SQS event the tests read.
type sqsEvent struct {
	Records []struct {
		MessageID         string            `json:"messageId"`
		ReceiptHandle     string            `json:"receiptHandle"`
		Body              string            `json:"body"`
		Attributes        map[string]string `json:"attributes"`
		MessageAttributes map[string]struct {
			StringValue      *string  `json:"stringValue"`
			BinaryValue      []byte   `json:"binaryValue"`
			StringListValues []string `json:"stringListValues"`
			BinaryListValues [][]byte `json:"binaryListValues"`
			DataType         string   `json:"dataType"`
		} `json:"messageAttributes"`
		MD5OfBody      string `json:"md5OfBody"`
		EventSource    string `json:"eventSource"`
		EventSourceARN string `json:"eventSourceARN"`
		AWSRegion      string `json:"awsRegion"`
	} `json:"Records"`
}

func sendBodies(t *testing.T, c *sqs.Client, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"grpc-method": {DataType: aws.String("String"), StringValue: aws.String("/s.S/" + b)},
				"trace-bin":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1}},
			}}); err != nil {
			t.Fatal(err)
		}
	}
}

// nextBatch waits for the mapping's next invocation and decodes its event.
func nextBatch(t *testing.T, rt *rawRuntime) (string, sqsEvent, []byte) {
	t.Helper()
	d := rt.next()
	var ev sqsEvent
	if err := json.Unmarshal(d.raw, &ev); err != nil {
		t.Fatalf("event %s: %v", d.raw, err)
	}
	return d.header.Get("Lambda-Runtime-Aws-Request-Id"), ev, d.raw
}

func bodiesOf(ev sqsEvent) map[string]string {
	m := map[string]string{}
	for _, r := range ev.Records {
		m[r.Body] = r.MessageID
	}
	return m
}

// queueDepth is the queue's visible plus in-flight messages.
func queueDepth(t *testing.T, c *sqs.Client, url string) (visible, inFlight string) {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]
}

// TestSQSMapping runs the local event-source mapping against a real
// SQS-compatible server, with a runtime written against the Runtime API
// spec: the batch is gathered within the window and shaped as Lambda's
// event; a reported failure alone returns to the queue; a function error
// returns the whole batch; the queue's RedrivePolicy sends a message
// received too often to the dead-letter queue.
func TestSQSMapping(t *testing.T) {
	srv := sqstest.Start(t)
	c := srv.SQS()
	dlq := srv.CreateQueue(t, "dlq", nil)
	q := srv.CreateQueue(t, "work", map[string]string{"VisibilityTimeout": "2", "RedrivePolicy": sqstest.RedrivePolicy(dlq.ARN, 2)})
	sendBodies(t, c, q.URL, "a", "b", "c")
	e := emulatortest.Start(t, emulator.Config{Timeout: time.Second, SQS: []emulator.SQSMapping{{
		QueueURL: q.URL, BatchSize: 10, BatchingWindow: 500 * time.Millisecond, ReportBatchItemFailures: true, Client: c,
	}}})
	rt := newRaw(t, e)

	id, ev, raw := nextBatch(t, rt)
	got := bodiesOf(ev)
	if len(ev.Records) != 3 || len(got) != 3 {
		t.Fatalf("first batch %s: want a, b and c in one batch", raw)
	}
	for _, r := range ev.Records {
		sum := md5.Sum([]byte(r.Body))
		if r.EventSource != "aws:sqs" || r.EventSourceARN != q.ARN || r.AWSRegion != sqstest.Region || r.ReceiptHandle == "" ||
			r.MD5OfBody != hex.EncodeToString(sum[:]) {
			t.Errorf("record %+v: want eventSource aws:sqs, eventSourceARN %s, awsRegion %s, a receipt handle and the body's MD5", r, q.ARN, sqstest.Region)
		}
		for _, k := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} {
			if r.Attributes[k] == "" {
				t.Errorf("record %s lacks attribute %s: %v", r.Body, k, r.Attributes)
			}
		}
		if r.Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("record %s: ApproximateReceiveCount %q, want 1", r.Body, r.Attributes["ApproximateReceiveCount"])
		}
		m := r.MessageAttributes["grpc-method"]
		if m.DataType != "String" || m.StringValue == nil || *m.StringValue != "/s.S/"+r.Body || m.StringListValues == nil || m.BinaryListValues == nil {
			t.Errorf("record %s: grpc-method attribute %+v", r.Body, m)
		}
		if b := r.MessageAttributes["trace-bin"]; b.DataType != "Binary" || string(b.BinaryValue) != "\x00\x01" || b.StringValue != nil {
			t.Errorf("record %s: trace-bin attribute %+v", r.Body, b)
		}
	}
	if !strings.Contains(string(raw), `"binaryValue":"AAE="`) {
		t.Errorf("binary attribute values are not base64 in the event: %s", raw)
	}
	// b fails; a and c are deleted.
	if code, body := rt.post("invocation/"+id+"/response", nil, strings.NewReader(`{"batchItemFailures":[{"itemIdentifier":"`+got["b"]+`"}]}`), nil); code != 202 {
		t.Fatalf("response: %d %s", code, body)
	}

	// b comes back alone after its visibility timeout; a function error
	// leaves it on the queue.
	id, ev, raw = nextBatch(t, rt)
	if len(ev.Records) != 1 || ev.Records[0].Body != "b" || ev.Records[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("second batch %s: want b alone, received twice", raw)
	}
	if code, body := rt.post("invocation/"+id+"/error", map[string]string{"Lambda-Runtime-Function-Error-Type": "Unhandled"},
		strings.NewReader(`{"errorType":"Unhandled","errorMessage":"boom"}`), nil); code != 202 {
		t.Fatalf("error: %d %s", code, body)
	}

	// Its third receive exceeds maxReceiveCount 2: the server moves it to
	// the dead-letter queue, and the function never sees it again.
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 1 && aws.ToString(out.Messages[0].Body) == "b" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b did not reach the dead-letter queue")
		}
	}
	if v, f := queueDepth(t, c, q.URL); v != "0" || f != "0" {
		t.Errorf("the queue holds %s visible and %s in-flight messages, want none: a and c deleted, b redriven", v, f)
	}
	if n := e.Waiting(); n != 0 {
		t.Errorf("%d invocations wait, want none", n)
	}
}

// TestSQSMappingConfig: mistakes in a mapping are reported before anything
// starts, and a queue the server does not have is an error of Start.
func TestSQSMappingConfig(t *testing.T) {
	for _, m := range []emulator.SQSMapping{
		{QueueURL: "orders/x"},
		{QueueURL: "arn:aws:sns:us-east-1:1:topic"},
		{QueueURL: "http://127.0.0.1:1/1/q", BatchSize: 11},
		{QueueURL: "http://127.0.0.1:1/1/q", BatchSize: 10001, BatchingWindow: time.Second},
		{QueueURL: "http://127.0.0.1:1/1/q", BatchingWindow: 6 * time.Minute},
	} {
		if err := (emulator.Config{SQS: []emulator.SQSMapping{m}}).Check(context.Background()); err == nil {
			t.Errorf("%+v: no error", m)
		}
	}
	srv := sqstest.Start(t)
	for _, missing := range []string{srv.Endpoint + "/123456789012/nope", "nope", "arn:aws:sqs:us-east-1:123456789012:nope"} {
		_, err := emulator.Start(context.Background(), emulator.Config{SQS: []emulator.SQSMapping{{QueueURL: missing, Endpoint: srv.Endpoint, Client: srv.SQS()}}})
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("Start with a missing queue %s: %v, want an error naming it", missing, err)
		}
	}
	// A name or an ARN is resolved to the queue's URL.
	q := srv.CreateQueue(t, "named", nil)
	for _, ref := range []string{"named", q.ARN} {
		e := emulatortest.Start(t, emulator.Config{SQS: []emulator.SQSMapping{{QueueURL: ref, Endpoint: srv.Endpoint, Client: srv.SQS()}}})
		if got := e.Config().SQS[0].QueueURL; got != q.URL {
			t.Errorf("queue %s resolved to %q, want %s", ref, got, q.URL)
		}
	}
}
