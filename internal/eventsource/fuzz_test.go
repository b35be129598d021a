package eventsource

import (
	"path/filepath"
	"testing"

	"github.com/lambdagrpc/lambdagrpc/internal/eventseeds"
)

func FuzzDecode(f *testing.F) {
	eventseeds.Add(f, filepath.Join("..", "..", "testdata", "events"))
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
