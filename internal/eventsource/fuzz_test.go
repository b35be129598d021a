package eventsource

import (
	"os"
	"path/filepath"
	"testing"
)

// addEventSeeds adds the event fixtures and the shapes of event that have
// broken the decoder or the router before.
func addEventSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "events", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":"2.0","requestContext":{"http":{"method":"GET"}},"rawPath":"/a/b","rawQueryString":"message=%zz"}`))
	f.Add([]byte(`{"httpMethod":"POST","path":"//x","body":"AAAA","isBase64Encoded":true,"multiValueHeaders":{"content-type":["application/connect+json"]}}`))
	// Routing bypass attempts: segments before the method, an escaped
	// separator, dot segments, a stage where the event says none is.
	for _, p := range []string{"/public/x/grpc.testing.TestService/UnaryCall", "/grpc.testing.TestService%2FUnaryCall", "/./grpc.testing.TestService/UnaryCall", "/x/../grpc.testing.TestService/UnaryCall"} {
		f.Add([]byte(`{"version":"2.0","rawPath":"` + p + `","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST"}},"body":"{}"}`))
	}
	f.Add([]byte(`{"version":"2.0","rawPath":"/prod/grpc.testing.TestService/UnaryCall","headers":{"content-type":"application/json"},"requestContext":{"apiId":"a","domainName":"a.execute-api.us-east-1.amazonaws.com","stage":"prod","http":{"method":"POST"}},"body":"{}"}`))
	f.Add([]byte(`{"httpMethod":"POST","path":"/prod/grpc.testing.TestService/UnaryCall","headers":{"content-type":"application/json"},"requestContext":{"apiId":"a","domainName":"a.execute-api.us-east-1.amazonaws.com","stage":"prod","path":"/prod/prod/grpc.testing.TestService/UnaryCall"},"body":"{}"}`))
}

func FuzzDecode(f *testing.F) {
	addEventSeeds(f)
	f.Fuzz(func(t *testing.T, event []byte) {
		req, ev, err := Decode(event)
		if err != nil {
			return
		}
		if req.URL == nil || req.Method == "" || req.Header == nil || req.Body == nil || ev.shape == nil {
			t.Fatalf("incomplete request from %q", event)
		}
	})
}
