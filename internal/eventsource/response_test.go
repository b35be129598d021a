package eventsource

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lambdagrpc/lambdagrpc/internal/events"
	"github.com/lambdagrpc/lambdagrpc/internal/runtimeapi"
)

// answer is a response every shape can be read into.
type answer struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription *string             `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// TestBufferedResponseShapes answers each fixture's event and reads the
// document back: every shape puts the status, headers and cookies where
// its front door looks for them.
func TestBufferedResponseShapes(t *testing.T) {
	desc := "201 Created"
	for _, tc := range []struct {
		file string
		want answer
	}{
		{"functionurl.json", answer{StatusCode: 201, Headers: map[string]string{"content-type": "application/grpc-web+proto", "x-a": "1,2"}, Cookies: []string{"a=1", "b=2"}}},
		{"httpapi-v2.json", answer{StatusCode: 201, Headers: map[string]string{"content-type": "application/grpc-web+proto", "x-a": "1,2"}, Cookies: []string{"a=1", "b=2"}}},
		{"httpapi-v1.json", answer{StatusCode: 201, MultiValueHeaders: map[string][]string{"content-type": {"application/grpc-web+proto"}, "x-a": {"1", "2"}, "set-cookie": {"a=1", "b=2"}}}},
		{"rest.json", answer{StatusCode: 201, MultiValueHeaders: map[string][]string{"content-type": {"application/grpc-web+proto"}, "x-a": {"1", "2"}, "set-cookie": {"a=1", "b=2"}}}},
		{"alb.json", answer{StatusCode: 201, StatusDescription: &desc, Headers: map[string]string{"content-type": "application/grpc-web+proto", "x-a": "1,2", "set-cookie": "a=1,b=2"}}},
		{"alb-multivalue.json", answer{StatusCode: 201, StatusDescription: &desc, MultiValueHeaders: map[string][]string{"content-type": {"application/grpc-web+proto"}, "x-a": {"1", "2"}, "set-cookie": {"a=1", "b=2"}}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ev := decodeFixture(t, tc.file)
			w := newBufferedWriter(ev.shape, runtimeapi.MaxBufferedResponse)
			writeResponse(w)
			var got answer
			if err := json.Unmarshal(w.finish(), &got); err != nil {
				t.Fatal(err)
			}
			body, err := base64.StdEncoding.DecodeString(got.Body)
			if err != nil || !got.IsBase64Encoded || string(body) != "\x00binary\xff" {
				t.Errorf("body %q (base64 %v, %v)", body, got.IsBase64Encoded, err)
			}
			got.Body, got.IsBase64Encoded = "", false
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answer %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestStreamPreludeShapes: the streamed response of the events that can
// stream opens with a prelude in the event's form, then the delimiter,
// then the body as written.
func TestStreamPreludeShapes(t *testing.T) {
	for _, tc := range []struct {
		file string
		want events.StreamPrelude
	}{
		{"functionurl.json", events.StreamPrelude{StatusCode: 201, Headers: map[string]string{"content-type": "application/grpc-web+proto", "x-a": "1,2"}, Cookies: []string{"a=1", "b=2"}}},
		{"rest.json", events.StreamPrelude{StatusCode: 201, MultiValueHeaders: map[string][]string{"content-type": {"application/grpc-web+proto"}, "x-a": {"1", "2"}, "set-cookie": {"a=1", "b=2"}}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ev := decodeFixture(t, tc.file)
			if !ev.CanStream() {
				t.Fatal("the event cannot stream")
			}
			var out bytes.Buffer
			w := newStreamWriter(ev.shape, &out)
			writeResponse(w)
			if err := w.finish(); err != nil {
				t.Fatal(err)
			}
			p, body, err := events.ReadPrelude(&out)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*p, tc.want) {
				t.Errorf("prelude %+v\nwant %+v", *p, tc.want)
			}
			if string(body) != "\x00binary\xff" {
				t.Errorf("body %q", body)
			}
		})
	}
}

func decodeFixture(t *testing.T, file string) Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	_, ev, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// writeResponse writes the same response to every writer: repeated
// headers, two cookies, a binary body in pieces.
func writeResponse(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/grpc-web+proto")
	h["X-A"] = []string{"1", "2"}
	h["Set-Cookie"] = []string{"a=1", "b=2"}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte("\x00bin"))
	_, _ = w.Write([]byte("ary\xff"))
}
