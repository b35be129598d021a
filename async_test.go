package lambdagrpc_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/emulator"
	"github.com/lambdagrpc/lambdagrpc/emulator/emulatortest"
)

// asyncCall is what the server's interceptor saw of one call.
type asyncCall struct {
	method   string
	md       metadata.MD
	record   *lambdagrpc.Record
	deadline time.Time
	body     string // the request's payload body
}

// asyncFunction is the test service run as a function behind the
// emulator's real Runtime API, with an interceptor and a stats handler
// that record what they see.
type asyncFunction struct {
	invokeURL string
	mu        sync.Mutex
	calls     []asyncCall
	statsEnd  []string // "method code" of each stats.End
	inFlight  atomic.Int32
	maxFlight atomic.Int32
	delay     time.Duration
	logs      *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type asyncStats struct{ f *asyncFunction }

type methodKey struct{}

func (h asyncStats) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}

func (h asyncStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if end, ok := s.(*stats.End); ok {
		m, _ := ctx.Value(methodKey{}).(string)
		h.f.mu.Lock()
		h.f.statsEnd = append(h.f.statsEnd, m+" "+statusCode(end.Error).String())
		h.f.mu.Unlock()
	}
}

func (asyncStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (asyncStats) HandleConn(context.Context, stats.ConnStats)                       {}

func statusCode(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	return status.Code(err)
}

func startAsync(t *testing.T, delay time.Duration, opts ...lambdagrpc.Option) *asyncFunction {
	t.Helper()
	f := &asyncFunction{delay: delay, logs: &syncBuffer{}}
	e := emulatortest.Start(t, emulator.Config{Timeout: 10 * time.Second})
	f.invokeURL = e.InvokeEndpoint() + "/2015-03-31/functions/" + e.Config().Name + "/invocations"
	s := newTestServer(t, grpc.StatsHandler(asyncStats{f}), grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		n := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.maxFlight.Load()
			if n <= m || f.maxFlight.CompareAndSwap(m, n) {
				break
			}
		}
		c := asyncCall{method: info.FullMethod}
		c.md, _ = metadata.FromIncomingContext(ctx)
		c.record, _ = lambdagrpc.RecordFromContext(ctx)
		c.deadline, _ = ctx.Deadline()
		if r, ok := req.(*testpb.SimpleRequest); ok {
			c.body = string(r.GetPayload().GetBody())
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		time.Sleep(f.delay)
		return handler(ctx, req)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts = append([]lambdagrpc.Option{lambdagrpc.WithRuntimeAPI(e.RuntimeAPIAddr()), lambdagrpc.WithLogger(slog.New(slog.NewTextHandler(f.logs, nil)))}, opts...)
	go func() { done <- lambdagrpc.Serve(ctx, s, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return f
}

// invoke sends payload through the emulator's Invoke API and returns the
// answer and the function error type, if any.
func (f *asyncFunction) invoke(t *testing.T, payload []byte) (string, string) {
	t.Helper()
	resp, err := http.Post(f.invokeURL, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp.Header.Get("X-Amz-Function-Error")
}

func (f *asyncFunction) recorded() []asyncCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "async", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failures returns the itemIdentifiers of an SQS batch answer.
func failures(t *testing.T, body string) []string {
	t.Helper()
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.BatchItemFailures == nil {
		t.Fatalf("not a batch answer: %q (%v)", body, err)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

// sqsEvent builds an SQS event of records (id, body, attributes).
func sqsEvent(queueARN string, records ...sqsTestRecord) []byte {
	type attr struct {
		StringValue string `json:"stringValue,omitempty"`
		BinaryValue string `json:"binaryValue,omitempty"`
		DataType    string `json:"dataType"`
	}
	type rec struct {
		MessageID         string            `json:"messageId"`
		Body              string            `json:"body"`
		Attributes        map[string]string `json:"attributes"`
		MessageAttributes map[string]attr   `json:"messageAttributes"`
		EventSource       string            `json:"eventSource"`
		EventSourceARN    string            `json:"eventSourceARN"`
	}
	var ev struct {
		Records []rec `json:"Records"`
	}
	for _, r := range records {
		ma := map[string]attr{}
		if r.method != "" {
			ma["grpc-method"] = attr{StringValue: r.method, DataType: "String"}
		}
		for k, v := range r.attrs {
			ma[k] = attr{StringValue: v, DataType: "String"}
		}
		a := map[string]string{"ApproximateReceiveCount": "1"}
		if r.group != "" {
			a["MessageGroupId"] = r.group
		}
		ev.Records = append(ev.Records, rec{MessageID: r.id, Body: r.body, Attributes: a, MessageAttributes: ma, EventSource: "aws:sqs", EventSourceARN: queueARN})
	}
	b, _ := json.Marshal(ev)
	return b
}

type sqsTestRecord struct {
	id, method, body, group string
	attrs                   map[string]string
}

const testQueue = "arn:aws:sqs:us-east-1:123456789012:orders"

func okBody(s string) string { return `{"payload":{"body":"` + b64(s) + `"}}` }

func failBody(s string, code codes.Code) string {
	return `{"payload":{"body":"` + b64(s) + `"},"responseStatus":{"code":` + itoa(int(code)) + `,"message":"failed on purpose"}}`
}

func TestAsyncSQSFixture(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 0)
	start := time.Now()
	body, fail := f.invoke(t, fixture(t, "sqs.json"))
	if fail != "" || body != `{"batchItemFailures":[]}` {
		t.Fatalf("answer %q (function error %q)", body, fail)
	}
	calls := f.recorded()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	byID := map[string]asyncCall{}
	for _, c := range calls {
		if c.record == nil {
			t.Fatalf("call without a Record: %+v", c)
		}
		byID[c.record.ID] = c
	}
	j := byID["059f36b4-87a3-44ab-83d2-661975830a7d"]
	if j.method != unaryPath || j.body != "json" || j.record.Source != "aws:sqs" || j.record.ReceiveCount != 1 ||
		j.record.Origin != "arn:aws:sqs:us-east-2:123456789012:my-queue" || j.record.Method != unaryPath {
		t.Errorf("JSON record's call: %+v %+v", j, j.record)
	}
	if got := j.md.Get("x-trace"); len(got) != 1 || got[0] != "abc" {
		t.Errorf("JSON record's metadata %v", j.md)
	}
	p := byID["2e1424d4-f796-459a-8184-9c92662be6da"]
	if p.body != "proto" || p.record.ReceiveCount != 3 {
		t.Errorf("proto record's call: %+v %+v", p, p.record)
	}
	if got := p.md.Get("x-token-bin"); len(got) != 1 || got[0] != "\x00\xfftok" {
		t.Errorf("proto record's binary metadata %q", p.md)
	}
	// Each call's deadline is the invocation's (10 s) less the margin.
	for _, c := range calls {
		if left := c.deadline.Sub(start); c.deadline.IsZero() || left > 10*time.Second-250*time.Millisecond || left < 8*time.Second {
			t.Errorf("call deadline %v after the start, want just under 9.75s", left)
		}
	}
	f.mu.Lock()
	ends := slices.Clone(f.statsEnd)
	f.mu.Unlock()
	if len(ends) != 2 || ends[0] != unaryPath+" OK" || ends[1] != unaryPath+" OK" {
		t.Errorf("stats handler saw %q", ends)
	}
}

func TestAsyncPartialFailure(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var dead []*lambdagrpc.FailedRecord
	f := startAsync(t, 0, lambdagrpc.WithDeadLetter(func(_ context.Context, r *lambdagrpc.FailedRecord) error {
		mu.Lock()
		defer mu.Unlock()
		dead = append(dead, r)
		return nil
	}))
	ev := sqsEvent(testQueue,
		sqsTestRecord{id: "ok", method: unaryPath, body: okBody("ok")},
		sqsTestRecord{id: "unavailable", method: unaryPath, body: failBody("u", codes.Unavailable)},
		sqsTestRecord{id: "invalid", method: unaryPath, body: failBody("i", codes.InvalidArgument)},
		sqsTestRecord{id: "bad-json", method: unaryPath, body: `{"payload":`},
		sqsTestRecord{id: "bad-base64", method: unaryPath, body: "!!!", attrs: map[string]string{"content-type": "application/proto"}},
		sqsTestRecord{id: "unknown-method", method: "/no.Such/Method", body: "{}"},
		sqsTestRecord{id: "no-method", body: "{}"},
		sqsTestRecord{id: "bad-key", method: unaryPath, body: okBody("k"), attrs: map[string]string{"Bad Key": "v"}},
	)
	body, fail := f.invoke(t, ev)
	if fail != "" {
		t.Fatalf("function error %q: %s", fail, body)
	}
	if got := failures(t, body); !slices.Equal(got, []string{"unavailable"}) {
		t.Errorf("batchItemFailures %q, want only the retryable record", got)
	}
	mu.Lock()
	got := map[string]codes.Code{}
	for _, d := range dead {
		got[d.Record.ID] = d.Status.Code()
		if !bytes.Contains(d.Event, []byte(`"messageId":"`+d.Record.ID+`"`)) {
			t.Errorf("dead letter %s carries %s", d.Record.ID, d.Event)
		}
	}
	mu.Unlock()
	want := map[string]codes.Code{
		"invalid": codes.InvalidArgument, "bad-json": codes.InvalidArgument, "bad-base64": codes.InvalidArgument,
		"unknown-method": codes.Unimplemented, "no-method": codes.Unimplemented, "bad-key": codes.InvalidArgument,
	}
	if len(got) != len(want) {
		t.Errorf("dead letters %v, want %v", got, want)
	}
	for id, c := range want {
		if got[id] != c {
			t.Errorf("dead letter %s: %v, want %v", id, got[id], c)
		}
	}
	if logs := f.logs.String(); !strings.Contains(logs, `Bad Key`) || !strings.Contains(logs, "names no method") || !strings.Contains(logs, "does not decode") {
		t.Errorf("the log does not say why the records failed:\n%s", logs)
	}
}

func TestAsyncDroppedAndRetryableCodes(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 0, lambdagrpc.WithRetryableCodes(codes.InvalidArgument))
	ev := sqsEvent(testQueue,
		sqsTestRecord{id: "unavailable", method: unaryPath, body: failBody("u", codes.Unavailable)},
		sqsTestRecord{id: "invalid", method: unaryPath, body: failBody("i", codes.InvalidArgument)},
	)
	body, fail := f.invoke(t, ev)
	if fail != "" {
		t.Fatalf("function error %q: %s", fail, body)
	}
	if got := failures(t, body); !slices.Equal(got, []string{"invalid"}) {
		t.Errorf("batchItemFailures %q, want the record whose code was made retryable", got)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "the record is dropped") || !strings.Contains(logs, "id=unavailable") {
		t.Errorf("the dropped record is not logged:\n%s", logs)
	}
}

func TestAsyncDeadLetterRefuses(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 0, lambdagrpc.WithDeadLetter(func(context.Context, *lambdagrpc.FailedRecord) error {
		panic("dead-letter target down")
	}))
	body, fail := f.invoke(t, sqsEvent(testQueue, sqsTestRecord{id: "invalid", method: unaryPath, body: failBody("i", codes.InvalidArgument)}))
	if fail != "" || !slices.Equal(failures(t, body), []string{"invalid"}) {
		t.Errorf("answer %q (function error %q): a record the dead-letter target refused must be delivered again", body, fail)
	}
}

func TestAsyncFIFOOrder(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 5*time.Millisecond, lambdagrpc.WithAsyncConcurrency(4))
	body, fail := f.invoke(t, fixture(t, "sqs-fifo.json"))
	if fail != "" {
		t.Fatalf("function error %q: %s", fail, body)
	}
	// a2 fails (retryable): a3, after it in group A, must not run and must
	// be delivered again; group B runs whole, in order.
	if got := failures(t, body); !slices.Equal(got, []string{"a2", "a3"}) {
		t.Errorf("batchItemFailures %q, want a2 and a3", got)
	}
	var a, b []string
	for _, c := range f.recorded() {
		switch c.record.MessageGroupID {
		case "A":
			a = append(a, c.record.ID)
		case "B":
			b = append(b, c.record.ID)
		default:
			t.Errorf("call without its group: %+v", c.record)
		}
	}
	if !slices.Equal(a, []string{"a1", "a2"}) || !slices.Equal(b, []string{"b1", "b2", "b3"}) {
		t.Errorf("calls in group A %q, in group B %q", a, b)
	}
	if m := f.maxFlight.Load(); m != 2 {
		t.Errorf("%d calls at once, want the two groups side by side", m)
	}
}

func TestAsyncConcurrencyBound(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 20*time.Millisecond, lambdagrpc.WithAsyncConcurrency(3))
	var recs []sqsTestRecord
	for i := range 10 {
		recs = append(recs, sqsTestRecord{id: "m" + itoa(i), method: unaryPath, body: okBody("x")})
	}
	body, fail := f.invoke(t, sqsEvent(testQueue, recs...))
	if fail != "" || len(failures(t, body)) != 0 {
		t.Fatalf("answer %q (function error %q)", body, fail)
	}
	if n := len(f.recorded()); n != 10 {
		t.Errorf("%d calls, want 10", n)
	}
	if m := f.maxFlight.Load(); m != 3 {
		t.Errorf("%d calls at once, want the bound, 3", m)
	}
}

func TestAsyncRoutes(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var dead []*lambdagrpc.FailedRecord
	f := startAsync(t, 0,
		lambdagrpc.WithAsyncRoute(testQueue, unaryPath),
		lambdagrpc.WithAsyncRoute("aws.ec2", "/grpc.testing.TestService/EmptyCall"),
		lambdagrpc.WithDeadLetter(func(_ context.Context, r *lambdagrpc.FailedRecord) error {
			mu.Lock()
			defer mu.Unlock()
			dead = append(dead, r)
			return nil
		}))
	body, fail := f.invoke(t, sqsEvent(testQueue, sqsTestRecord{id: "routed", body: okBody("routed")}))
	if fail != "" || len(failures(t, body)) != 0 {
		t.Fatalf("answer %q (function error %q)", body, fail)
	}
	if calls := f.recorded(); len(calls) != 1 || calls[0].method != unaryPath || calls[0].body != "routed" {
		t.Errorf("calls %+v", calls)
	}
	// AWS's sample EC2 event, routed by its source: JSON requests skip
	// unknown fields, so its detail is a google.protobuf.Empty.
	body, fail = f.invoke(t, fixture(t, "eventbridge-ec2.json"))
	if fail != "" || body != "{}" {
		t.Errorf("EventBridge answer %q (function error %q)", body, fail)
	}
	if calls := f.recorded(); len(calls) != 2 || calls[1].method != "/grpc.testing.TestService/EmptyCall" || calls[1].record.Origin != "aws.ec2" ||
		calls[1].record.Source != "aws:events" || calls[1].record.ID != "6a7e8feb-b491-4cf7-a9f1-bf3703467718" {
		t.Errorf("calls %+v", calls)
	}
	// An event whose call fails for good goes to the dead-letter target;
	// the invocation succeeds, so Lambda does not retry it.
	failing := []byte(`{"version":"0","id":"e1","detail-type":"/grpc.testing.TestService/UnaryCall","source":"aws.ec2","detail":{"payload":"not an object"}}`)
	body, fail = f.invoke(t, failing)
	if fail != "" || body != "{}" {
		t.Errorf("EventBridge answer %q (function error %q)", body, fail)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != 1 || dead[0].Record.ID != "e1" || dead[0].Status.Code() != codes.InvalidArgument || string(dead[0].Event) != string(failing) {
		t.Errorf("dead letters %+v\n%s", dead, f.logs)
	}
}

func TestAsyncSNS(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 0)
	body, fail := f.invoke(t, fixture(t, "sns.json"))
	if fail != "" || body != "{}" {
		t.Fatalf("answer %q (function error %q)", body, fail)
	}
	calls := f.recorded()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.body != "sns" || c.record.Source != "aws:sns" || c.record.ID != "95df01b4-ee98-5cb9-9903-4c221d41eb5e" ||
		c.record.TopicARN != "arn:aws:sns:us-east-1:123456789012:sns-lambda" || c.record.Origin != c.record.TopicARN {
		t.Errorf("call %+v %+v", c, c.record)
	}
	if c.md.Get("x-trace")[0] != "sns-trace" || c.md.Get("x-blob-bin")[0] != "\x01\x02" {
		t.Errorf("metadata %q", c.md)
	}
	// A retryable failure fails the invocation, so that Lambda retries it.
	failing := bytes.Replace(fixture(t, "sns.json"), []byte(`"Message": "{\"payload\":{\"body\":\"c25z\"}}"`),
		[]byte(`"Message": "{\"responseStatus\":{\"code\":14}}"`), 1)
	if bytes.Equal(failing, fixture(t, "sns.json")) {
		t.Fatal("the fixture changed: the failing message was not put in")
	}
	if body, fail := f.invoke(t, failing); fail == "" || !strings.Contains(body, "lambdagrpc.RecordFailed") {
		t.Errorf("a retryable failure answered %q (function error %q)", body, fail)
	}
}

func TestAsyncSNSThroughSQS(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 0, lambdagrpc.WithAsyncRoute("arn:aws:sns:us-east-2:123456789012:orders", unaryPath))
	body, fail := f.invoke(t, fixture(t, "sns-sqs.json"))
	if fail != "" || len(failures(t, body)) != 0 {
		t.Fatalf("answer %q (function error %q)", body, fail)
	}
	calls := f.recorded()
	if len(calls) != 1 || calls[0].body != "envelope" || calls[0].md.Get("x-trace")[0] != "from-sns" ||
		calls[0].record.TopicARN != "arn:aws:sns:us-east-2:123456789012:orders" || calls[0].record.Source != "aws:sqs" {
		t.Errorf("calls %+v", calls)
	}
}

func TestAsyncEventBridge(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 0)
	body, fail := f.invoke(t, fixture(t, "eventbridge.json"))
	if fail != "" || body != "{}" {
		t.Fatalf("answer %q (function error %q)", body, fail)
	}
	calls := f.recorded()
	if len(calls) != 1 || calls[0].body != "eb" || calls[0].record.Origin != "com.example.orders" ||
		calls[0].record.ID != "2d8c1d8e-6f0e-4f4c-9e3b-0f0e6b4f4b11" {
		t.Errorf("calls %+v", calls)
	}
}

// TestAsyncHTTPStillServed checks that an HTTP event still reaches the
// HTTP path with the new sources ahead of it.
func TestAsyncHTTPStillServed(t *testing.T) {
	t.Parallel()
	f := startAsync(t, 0)
	ev := `{"version":"2.0","rawPath":"` + unaryPath + `","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST"}},"body":` + jsonQuote(okBody("http")) + `}`
	body, fail := f.invoke(t, []byte(ev))
	if fail != "" || !strings.Contains(body, `"statusCode":200`) {
		t.Errorf("answer %q (function error %q)", body, fail)
	}
	if calls := f.recorded(); len(calls) != 1 || calls[0].record != nil {
		t.Errorf("calls %+v: an HTTP call has no Record", calls)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func itoa(i int) string { return strconv.Itoa(i) }

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
