package async_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/client/async"
	"github.com/lambdagrpc/lambdagrpc/internal/sqstest"
)

const unaryCall = "/grpc.testing.TestService/UnaryCall"

// receive returns the messages waiting on the queue (up to 10), with all
// their attributes, deleting them.
func receive(t *testing.T, c *sqs.Client, url string, wait int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	for _, m := range out.Messages {
		if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatalf("DeleteMessage: %v", err)
		}
	}
	return out.Messages
}

func str(t *testing.T, m types.Message, name string) string {
	t.Helper()
	a, ok := m.MessageAttributes[name]
	if !ok {
		t.Fatalf("message has no attribute %q: %v", name, m.MessageAttributes)
	}
	if aws.ToString(a.DataType) != "String" {
		t.Fatalf("attribute %q is a %s, want String", name, aws.ToString(a.DataType))
	}
	return aws.ToString(a.StringValue)
}

func wantCode(t *testing.T, err error, code codes.Code, fragment string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code || !strings.Contains(st.Message(), fragment) {
		t.Fatalf("error = %v, want %s mentioning %q", err, code, fragment)
	}
}

// TestQueue sends calls through a real SQS-compatible server and reads
// them back as the function side would.
func TestQueue(t *testing.T) {
	srv := sqstest.Start(t)
	c := srv.SQS()
	req := &testpb.SimpleRequest{ResponseSize: 7, Payload: &testpb.Payload{Body: []byte("hello")}}

	t.Run("proto", func(t *testing.T) {
		qu := srv.CreateQueue(t, "proto", nil)
		q, err := async.NewQueue(qu.URL, async.WithSQSClient(c))
		if err != nil {
			t.Fatal(err)
		}
		ctx := metadata.AppendToOutgoingContext(context.Background(), "tenant", "a", "tenant", "b", "trace-bin", "\x00\xff")
		var id string
		reply := &testpb.SimpleResponse{Username: "stale"}
		if err := q.Invoke(ctx, unaryCall, req, reply, async.MessageID(&id)); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(reply, &testpb.SimpleResponse{}) {
			t.Errorf("reply = %v, want it reset", reply)
		}
		msgs := receive(t, c, qu.URL, 1)
		if len(msgs) != 1 {
			t.Fatalf("got %d messages, want 1", len(msgs))
		}
		m := msgs[0]
		if id == "" || aws.ToString(m.MessageId) != id {
			t.Errorf("MessageID = %q, the message's is %q", id, aws.ToString(m.MessageId))
		}
		if got := str(t, m, "grpc-method"); got != unaryCall {
			t.Errorf("grpc-method = %q", got)
		}
		if got := str(t, m, "content-type"); got != "application/proto" {
			t.Errorf("content-type = %q", got)
		}
		if got := str(t, m, "tenant"); got != "a, b" {
			t.Errorf("tenant = %q, want both values", got)
		}
		if b := m.MessageAttributes["trace-bin"]; aws.ToString(b.DataType) != "Binary" || string(b.BinaryValue) != "\x00\xff" {
			t.Errorf("trace-bin = %s %q, want Binary \\x00\\xff", aws.ToString(b.DataType), b.BinaryValue)
		}
		if len(m.MessageAttributes) != 4 {
			t.Errorf("attributes = %v, want 4", m.MessageAttributes)
		}
		raw, err := base64.StdEncoding.DecodeString(aws.ToString(m.Body))
		if err != nil {
			t.Fatalf("body is not base64: %v", err)
		}
		got := &testpb.SimpleRequest{}
		if err := proto.Unmarshal(raw, got); err != nil || !proto.Equal(got, req) {
			t.Errorf("body = %v (%v), want %v", got, err, req)
		}
	})

	t.Run("json", func(t *testing.T) {
		qu := srv.CreateQueue(t, "json", nil)
		q, err := async.NewQueue(qu.URL, async.WithSQSClient(c), async.WithJSON())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := testpb.NewTestServiceClient(q).UnaryCall(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		msgs := receive(t, c, qu.URL, 1)
		if len(msgs) != 1 {
			t.Fatalf("got %d messages, want 1", len(msgs))
		}
		if got := str(t, msgs[0], "content-type"); got != "application/json" {
			t.Errorf("content-type = %q", got)
		}
		got := &testpb.SimpleRequest{}
		if err := protojson.Unmarshal([]byte(aws.ToString(msgs[0].Body)), got); err != nil || !proto.Equal(got, req) {
			t.Errorf("body %s = %v (%v), want %v", aws.ToString(msgs[0].Body), got, err, req)
		}
	})

	t.Run("too many attributes", func(t *testing.T) {
		qu := srv.CreateQueue(t, "many", nil)
		q, err := async.NewQueue(qu.URL, async.WithSQSClient(c))
		if err != nil {
			t.Fatal(err)
		}
		kv := []string{}
		for _, k := range strings.Split("a b c d e f g h", " ") {
			kv = append(kv, "k-"+k, "v")
		}
		if err := q.Invoke(metadata.AppendToOutgoingContext(context.Background(), kv...), unaryCall, req, &testpb.SimpleResponse{}); err != nil {
			t.Fatalf("8 metadata keys: %v", err)
		}
		err = q.Invoke(metadata.AppendToOutgoingContext(context.Background(), append(kv, "k-i", "v")...), unaryCall, req, &testpb.SimpleResponse{})
		wantCode(t, err, codes.InvalidArgument, "at most 8 metadata keys")
		if n := len(receive(t, c, qu.URL, 1)); n != 1 {
			t.Errorf("the queue got %d messages, want only the first call's", n)
		}
		err = q.Invoke(metadata.AppendToOutgoingContext(context.Background(), "aws.key", "v"), unaryCall, req, &testpb.SimpleResponse{})
		wantCode(t, err, codes.InvalidArgument, `"aws.key"`)
		for _, key := range []string{"grpc-timeout", "content-length", "connect-protocol-version", "te"} {
			err = q.Invoke(metadata.AppendToOutgoingContext(context.Background(), key, "1"), unaryCall, req, &testpb.SimpleResponse{})
			wantCode(t, err, codes.InvalidArgument, "protocol header")
		}
		err = q.Invoke(metadata.AppendToOutgoingContext(context.Background(), "note", "caf\xc3\xa9"), unaryCall, req, &testpb.SimpleResponse{})
		wantCode(t, err, codes.InvalidArgument, "-bin")
		if n := len(receive(t, c, qu.URL, 0)); n != 0 {
			t.Errorf("refused calls sent %d messages", n)
		}
	})

	t.Run("fifo", func(t *testing.T) {
		qu := srv.CreateQueue(t, "orders.fifo", map[string]string{"FifoQueue": "true"})
		q, err := async.NewQueue(qu.URL, async.WithSQSClient(c))
		if err != nil {
			t.Fatal(err)
		}
		err = q.Invoke(context.Background(), unaryCall, req, &testpb.SimpleResponse{})
		wantCode(t, err, codes.InvalidArgument, "WithMessageGroupID")
		q, err = async.NewQueue(qu.URL, async.WithSQSClient(c),
			async.WithMessageGroupID(func(_ context.Context, _ string, r proto.Message) string {
				return string(r.(*testpb.SimpleRequest).GetPayload().GetBody())
			}),
			async.WithDeduplicationID(func(context.Context, string, proto.Message) string { return "same" }))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := q.Invoke(context.Background(), unaryCall, req, &testpb.SimpleResponse{}); err != nil {
				t.Fatal(err)
			}
		}
		msgs := receive(t, c, qu.URL, 1)
		if len(msgs) != 1 {
			t.Fatalf("got %d messages, want 1 (the second has the first's deduplication ID)", len(msgs))
		}
		if g := msgs[0].Attributes["MessageGroupId"]; g != "hello" {
			t.Errorf("MessageGroupId = %q, want hello", g)
		}
	})

	t.Run("missing queue", func(t *testing.T) {
		q, err := async.NewQueue(srv.Endpoint+"/123456789012/nope", async.WithSQSClient(c))
		if err != nil {
			t.Fatal(err)
		}
		err = q.Invoke(context.Background(), unaryCall, req, &testpb.SimpleResponse{})
		wantCode(t, err, codes.NotFound, "does not exist")
	})

	t.Run("default client for a local URL", func(t *testing.T) {
		qu := srv.CreateQueue(t, "local", nil)
		t.Setenv("AWS_ACCESS_KEY_ID", "testing")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
		t.Setenv("AWS_REGION", sqstest.Region)
		q, err := async.NewQueue(qu.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Invoke(context.Background(), unaryCall, req, &testpb.SimpleResponse{}); err != nil {
			t.Fatal(err)
		}
		if n := len(receive(t, c, qu.URL, 1)); n != 1 {
			t.Errorf("got %d messages, want 1", n)
		}
	})

	t.Run("context", func(t *testing.T) {
		qu := srv.CreateQueue(t, "ctx", nil)
		q, err := async.NewQueue(qu.URL, async.WithSQSClient(c))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		wantCode(t, q.Invoke(ctx, unaryCall, req, &testpb.SimpleResponse{}), codes.Canceled, "")
		ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		wantCode(t, q.Invoke(ctx, unaryCall, req, &testpb.SimpleResponse{}), codes.DeadlineExceeded, "")
	})
}

// TestTopic publishes calls to a real SNS-compatible topic whose
// subscription delivers them raw to a queue.
func TestTopic(t *testing.T) {
	srv := sqstest.Start(t)
	ctx := context.Background()
	sc := srv.SNS()
	topic, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("calls")})
	if err != nil {
		t.Fatal(err)
	}
	qu := srv.CreateQueue(t, "subscriber", nil)
	if _, err := sc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qu.ARN),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}
	tp, err := async.NewTopic(aws.ToString(topic.TopicArn), async.WithSNSClient(sc))
	if err != nil {
		t.Fatal(err)
	}
	req := &testpb.SimpleRequest{ResponseSize: 3}
	var id string
	if err := tp.Invoke(metadata.AppendToOutgoingContext(ctx, "tenant", "a"), unaryCall, req, &testpb.SimpleResponse{}, async.MessageID(&id)); err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Error("MessageID is empty")
	}
	msgs := receive(t, srv.SQS(), qu.URL, 2)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if got := str(t, msgs[0], "grpc-method"); got != unaryCall {
		t.Errorf("grpc-method = %q", got)
	}
	if got := str(t, msgs[0], "tenant"); got != "a" {
		t.Errorf("tenant = %q", got)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(msgs[0].Body))
	got := &testpb.SimpleRequest{}
	if err := proto.Unmarshal(raw, got); err != nil || !proto.Equal(got, req) {
		t.Errorf("body = %v (%v), want %v", got, err, req)
	}

	fifo, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("calls.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	ft, err := async.NewTopic(aws.ToString(fifo.TopicArn), async.WithSNSClient(sc))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, ft.Invoke(ctx, unaryCall, req, &testpb.SimpleResponse{}), codes.InvalidArgument, "WithMessageGroupID")
	ft, _ = async.NewTopic(aws.ToString(fifo.TopicArn), async.WithSNSClient(sc),
		async.WithMessageGroupID(func(context.Context, string, proto.Message) string { return "g" }),
		async.WithDeduplicationID(func(context.Context, string, proto.Message) string { return "d" }))
	if err := ft.Invoke(ctx, unaryCall, req, &testpb.SimpleResponse{}); err != nil {
		t.Errorf("FIFO publish with group and deduplication IDs: %v", err)
	}
	missing, _ := async.NewTopic("arn:aws:sns:us-east-1:123456789012:nope", async.WithSNSClient(sc))
	wantCode(t, missing.Invoke(ctx, unaryCall, req, &testpb.SimpleResponse{}), codes.NotFound, "")
}

// TestStreamsAreUnimplemented: a stream cannot be queued or published.
func TestStreamsAreUnimplemented(t *testing.T) {
	q, err := async.NewQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/q", async.WithSQSClient(sqs.New(sqs.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = testpb.NewTestServiceClient(q).FullDuplexCall(context.Background())
	wantCode(t, err, codes.Unimplemented, "FullDuplexCall")
	tp, err := async.NewTopic("arn:aws:sns:eu-west-1:123456789012:t", async.WithSNSClient(sns.New(sns.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.NewStream(context.Background(), &grpc.StreamDesc{}, "/s.S/M")
	wantCode(t, err, codes.Unimplemented, "/s.S/M")
}

// TestBadAddresses: a malformed queue URL or topic ARN is refused at once.
func TestBadAddresses(t *testing.T) {
	for _, u := range []string{"", "orders", "ftp://h/q", "https://sqs.eu-west-1.amazonaws.com", "://x"} {
		_, err := async.NewQueue(u, async.WithSQSClient(sqs.New(sqs.Options{})))
		wantCode(t, err, codes.InvalidArgument, "not a queue URL")
	}
	for _, a := range []string{"", "arn:aws:sqs:eu-west-1:1:q", "calls"} {
		_, err := async.NewTopic(a, async.WithSNSClient(sns.New(sns.Options{})))
		wantCode(t, err, codes.InvalidArgument, "not a topic ARN")
	}
}

// TestUnreachable: an endpoint nobody serves is UNAVAILABLE.
func TestUnreachable(t *testing.T) {
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), Credentials: sqstest.Credentials, RetryMaxAttempts: 1})
	q, err := async.NewQueue("http://127.0.0.1:1/123456789012/q", async.WithSQSClient(c))
	if err != nil {
		t.Fatal(err)
	}
	err = q.Invoke(context.Background(), unaryCall, &testpb.Empty{}, &testpb.Empty{})
	wantCode(t, err, codes.Unavailable, "SendMessage")
	if errors.Is(err, context.Canceled) {
		t.Error("unexpected cancellation")
	}
}
