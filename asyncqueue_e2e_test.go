package lambdagrpc_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/client/async"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
	"github.com/lambdagrpc/lambdagrpc/internal/sqstest"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// callLog records the calls the function's server ran: the request's
// payload and the record's receive count, and the invocation (batch) each
// ran in; and the records the function gave up on.
type callLog struct {
	mu      sync.Mutex
	calls   map[string][]int  // payload -> receive counts
	batch   map[string]string // payload -> request id of its first call
	dropped map[string]string // message id -> request id
}

func (l *callLog) interceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	rec, ok := lambdagrpc.RecordFromContext(ctx)
	lc, _ := lambdagrpc.FromContext(ctx)
	if r, isSimple := req.(*testpb.SimpleRequest); isSimple && ok && lc != nil {
		p := string(r.GetPayload().GetBody())
		l.mu.Lock()
		l.calls[p] = append(l.calls[p], rec.ReceiveCount)
		if _, seen := l.batch[p]; !seen {
			l.batch[p] = lc.RequestID
		}
		l.mu.Unlock()
	}
	return handler(ctx, req)
}

// deadLetter is the function's dead-letter target for records that fail
// for good.
func (l *callLog) deadLetter(ctx context.Context, f *lambdagrpc.FailedRecord) error {
	lc, _ := lambdagrpc.FromContext(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if lc != nil {
		l.dropped[f.Record.ID] = lc.RequestID
	}
	return nil
}

func (l *callLog) get(payload string) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.calls[payload]...)
}

// TestAsyncQueueEndToEnd: calls enqueued with client/async reach the
// function's methods through the emulator's SQS event-source mapping, all
// real parts: moto's SQS server, the emulator's Runtime API, lambdagrpc.Serve
// and the test service. A call that fails with a retryable code is
// delivered again and then lands in the dead-letter queue by the queue's
// RedrivePolicy; a poison message (a method the server does not have)
// fails alone (it goes to the function's dead-letter target: its code,
// UNIMPLEMENTED, is not retryable), and the calls of its batch succeed once.
func TestAsyncQueueEndToEnd(t *testing.T) {
	srv := sqstest.Start(t)
	c := srv.SQS()
	dlq := srv.CreateQueue(t, "calls-dlq", nil)
	q := srv.CreateQueue(t, "calls", map[string]string{"VisibilityTimeout": "2", "RedrivePolicy": sqstest.RedrivePolicy(dlq.ARN, 2)})

	ctx := context.Background()
	queue, err := async.NewQueue(q.URL, async.WithSQSClient(c))
	if err != nil {
		t.Fatal(err)
	}
	jsonQueue, err := async.NewQueue(q.URL, async.WithSQSClient(c), async.WithJSON())
	if err != nil {
		t.Fatal(err)
	}
	body := func(s string) *testpb.Payload { return &testpb.Payload{Body: []byte(s)} }
	stub := testpb.NewTestServiceClient(queue)
	for _, r := range []*testpb.SimpleRequest{
		{Payload: body("ok-1")},
		{Payload: body("fail"), ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Unavailable), Message: "try again"}},
		{Payload: body("ok-2")},
	} {
		if _, err := stub.UnaryCall(ctx, r); err != nil {
			t.Fatalf("enqueue %s: %v", r.GetPayload().GetBody(), err)
		}
	}
	if _, err := testpb.NewTestServiceClient(jsonQueue).UnaryCall(ctx, &testpb.SimpleRequest{Payload: body("ok-json")}); err != nil {
		t.Fatal(err)
	}
	var poisonID string
	if err := queue.Invoke(ctx, "/grpc.testing.TestService/NoSuchMethod", &testpb.SimpleRequest{Payload: body("poison")}, &testpb.SimpleResponse{}, async.MessageID(&poisonID)); err != nil {
		t.Fatal(err)
	}

	// The five messages wait on the queue; the mapping's first receive,
	// within its batching window, takes them as one batch.
	e := emulatortest.Start(t, emulator.Config{Timeout: 5 * time.Second, SQS: []emulator.SQSMapping{{
		QueueURL: q.URL, BatchSize: 10, BatchingWindow: time.Second, ReportBatchItemFailures: true, Client: c,
	}}})
	calls := &callLog{calls: map[string][]int{}, batch: map[string]string{}, dropped: map[string]string{}}
	s := grpc.NewServer(grpc.UnaryInterceptor(calls.interceptor))
	testsvc.Register(s)
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- lambdagrpc.Serve(sctx, s, lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithLogger(slog.New(slog.DiscardHandler)),
			lambdagrpc.WithDeadLetter(calls.deadLetter))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the function's Serve: %v", err)
		}
	})

	// The failing call is received twice, then the server moves it to the
	// dead-letter queue on its third receive.
	var dead []types.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(dead) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("nothing reached the dead-letter queue; calls: %v", calls.calls)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq.URL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		dead = out.Messages
	}
	if len(dead) != 1 || aws.ToString(dead[0].MessageAttributes["grpc-method"].StringValue) != "/grpc.testing.TestService/UnaryCall" {
		t.Fatalf("dead-letter queue holds %d messages (%+v), want the failing call alone", len(dead), dead)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(dead[0].Body))
	var req testpb.SimpleRequest
	if err := proto.Unmarshal(raw, &req); err != nil || string(req.GetPayload().GetBody()) != "fail" {
		t.Errorf("the dead letter is %v (%v), want the failing call", &req, err)
	}

	if got := calls.get("fail"); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("the failing call ran with receive counts %v, want [1 2]: delivered again once, then redriven", got)
	}
	for _, p := range []string{"ok-1", "ok-2", "ok-json"} {
		if got := calls.get(p); len(got) != 1 || got[0] != 1 {
			t.Errorf("call %s ran with receive counts %v, want once, on its first delivery: its batch held the poison and the failing call", p, got)
		}
	}
	if got := calls.get("poison"); len(got) != 0 {
		t.Errorf("the poison message reached a method: %v", got)
	}
	calls.mu.Lock()
	batch, poisonBatch := calls.batch["ok-1"], calls.dropped[poisonID]
	for _, p := range []string{"ok-2", "ok-json", "fail"} {
		if calls.batch[p] != batch {
			t.Errorf("call %s ran in invocation %q, ok-1 in %q: want one batch", p, calls.batch[p], batch)
		}
	}
	if poisonBatch == "" || poisonBatch != batch || len(calls.dropped) != 1 {
		t.Errorf("the function gave up on %v, want the poison message %s alone, in the batch %q of the other calls", calls.dropped, poisonID, batch)
	}
	calls.mu.Unlock()
	// Everything else was deleted: the poison (not retryable by default)
	// and the calls that succeeded.
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if v, f := out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]; v != "0" || f != "0" {
		t.Errorf("the queue still holds %s visible and %s in-flight messages, want none", v, f)
	}
	if poisonID == "" {
		t.Error("MessageID gave no ID for the poison message")
	}
}
