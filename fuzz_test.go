package lambdagrpc

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func addEventSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":"2.0","requestContext":{"http":{"method":"GET"}},"rawPath":"/a/b","rawQueryString":"message=%zz"}`))
	f.Add([]byte(`{"httpMethod":"POST","path":"//x","body":"AAAA","isBase64Encoded":true,"multiValueHeaders":{"content-type":["application/connect+json"]}}`))
}

func FuzzDecodeEvent(f *testing.F) {
	addEventSeeds(f)
	f.Fuzz(func(t *testing.T, event []byte) {
		req, info, err := decodeEvent(event)
		if err != nil {
			return
		}
		if req.URL == nil || req.Method == "" || req.Header == nil || req.Body == nil || info == nil {
			t.Fatalf("incomplete request from %q", event)
		}
	})
}

// FuzzInvoke sends arbitrary events through the whole translation to a real
// grpc server: it must never panic, and must answer valid JSON or an error.
func FuzzInvoke(f *testing.F) {
	addEventSeeds(f)
	s := grpc.NewServer()
	testsvc.Register(s)
	eh := NewEventHandler(s, WithLogger(slog.New(slog.DiscardHandler)))
	f.Fuzz(func(t *testing.T, event []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		out, err := eh.Invoke(ctx, event)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON answer %q", out)
		}
	})
}
