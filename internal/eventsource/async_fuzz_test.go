package eventsource

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/eventseeds"
)

var asyncSeeds = filepath.Join("..", "..", "testdata", "async")

// echoInvoker is an Invoker whose calls all end OK, or, for a body that
// says "fail", UNAVAILABLE, so the fuzz targets run the records' calls to
// the end.
func echoInvoker() *Invoker {
	return &Invoker{
		Call: func(_ context.Context, _, _ string, msg []byte, _ http.Header) *status.Status {
			if string(msg) == "fail" {
				return status.New(codes.Unavailable, "x")
			}
			return status.New(codes.OK, "")
		},
		Async: Async{Routes: map[string]string{"arn:aws:sqs:us-east-2:123456789012:my-queue": "/a.B/C", "t": "/a.B/D", "s": "/a.B/E"}},
	}
}

// checkItems checks what every decoded item must hold, then runs the items.
func checkItems(t *testing.T, items []item) {
	for _, it := range items {
		if it.bad == nil && it.msg.method == "" {
			t.Fatalf("an item with neither a method nor a status: %+v", it)
		}
		if it.bad != nil && it.bad.Code() == codes.OK {
			t.Fatalf("an item failed with OK: %+v", it)
		}
	}
	retry := echoInvoker().runBatch(context.Background(), slog.New(slog.DiscardHandler), items)
	if len(retry) != len(items) {
		t.Fatalf("%d answers for %d items", len(retry), len(items))
	}
}

func FuzzSQSEvent(f *testing.F) {
	eventseeds.AddAsync(f, asyncSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) {
		var list recordList
		if json.Unmarshal(payload, &list) != nil {
			return
		}
		items, err := decodeSQSBatch(list.Records, echoInvoker().Async.Routes)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.rec.ID == "" {
				t.Fatalf("an SQS item without a message ID from %q", payload)
			}
		}
		checkItems(t, items)
	})
}

func FuzzSNSEvent(f *testing.F) {
	eventseeds.AddAsync(f, asyncSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) {
		var list recordList
		if json.Unmarshal(payload, &list) != nil {
			return
		}
		checkItems(t, decodeSNS(list.Records, echoInvoker().Async.Routes))
	})
}

func FuzzEventBridgeEvent(f *testing.F) {
	eventseeds.AddAsync(f, asyncSeeds)
	f.Fuzz(func(t *testing.T, payload []byte) {
		it, ok := decodeEventBridge(payload, echoInvoker().Async.Routes)
		if !ok {
			return
		}
		if it.bad == nil && !isMethodName(it.msg.method) && it.msg.method != "/a.B/E" {
			t.Fatalf("EventBridge item calls %q", it.msg.method)
		}
		checkItems(t, []item{it})
	})
}
