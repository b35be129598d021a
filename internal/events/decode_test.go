package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fixtures returns the captured events in testdata/events.
func fixtures(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "events", "*.json"))
	if len(files) == 0 {
		f.Fatal("no event fixtures found")
	}
	var events [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		events = append(events, b)
	}
	return events
}

func seedEvents(f *testing.F) {
	for _, b := range fixtures(f) {
		f.Add(b)
	}
	for _, s := range []string{
		`null`, `[]`, `{"body":"\u00e9\ud83d\ude00\ud800x","isBase64Encoded":false}`, `{"BODY":"QUJD","isbase64encoded":true}`,
		`{"headers":{"a":null},"cookies":[null,"x"],"multiValueHeaders":{"k":null}}`, `{"requestContext":null}`,
		`{"body":"QU\/C","isBase64Encoded":true}`, `{"version":1}`, `{"a":[1,-2.5e+3,true,{"b":null}]}`, "{\"body\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecode checks Decode against encoding/json: same acceptance, same
// fields, and the body decoded as encoding/json plus base64 would.
func FuzzDecode(f *testing.F) {
	seedEvents(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want Request
		gerr := got.Decode(data)
		werr := json.Unmarshal(data, &want)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("Decode error %v, encoding/json error %v for %q", gerr, werr, data)
		}
		if gerr != nil {
			return
		}
		wantBody := []byte(want.Body)
		var wantBodyErr error
		if want.IsBase64Encoded && want.Body != "" {
			wantBody, wantBodyErr = base64.StdEncoding.DecodeString(want.Body)
		}
		if (got.BodyError == nil) != (wantBodyErr == nil) {
			t.Fatalf("body error %v, want %v", got.BodyError, wantBodyErr)
		}
		if got.BodyError == nil && !bytes.Equal(got.BodyBytes, wantBody) && (len(got.BodyBytes) != 0 || len(wantBody) != 0) {
			t.Fatalf("body %q, want %q", got.BodyBytes, wantBody)
		}
		if string(want.RequestContext) == "null" {
			want.RequestContext = nil
		}
		got.BodyBytes, got.BodyError, want.Body, got.Body = nil, nil, "", ""
		got.Context, got.ContextError = RequestContext{}, nil // FuzzRequestContextDecode checks them
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Fatalf("Decode = %s\nencoding/json = %s", g, w)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	body := base64.StdEncoding.EncodeToString(make([]byte, 256<<10))
	event, _ := json.Marshal(map[string]any{"version": "2.0", "rawPath": "/a/b", "headers": map[string]string{"content-type": "application/grpc-web"},
		"requestContext": map[string]any{"http": map[string]string{"method": "POST"}}, "body": body, "isBase64Encoded": true})
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(int64(len(event)))
		b.ReportAllocs()
		for b.Loop() {
			var r Request
			if err := r.Decode(event); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(event)))
		b.ReportAllocs()
		for b.Loop() {
			var r Request
			if err := json.Unmarshal(event, &r); err != nil {
				b.Fatal(err)
			}
			if _, err := base64.StdEncoding.DecodeString(r.Body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzRequestContextDecode checks the requestContext that Decode decodes in
// the same pass against encoding/json: same acceptance, same fields.
func FuzzRequestContextDecode(f *testing.F) {
	for _, b := range fixtures(f) {
		var ev struct {
			RequestContext json.RawMessage `json:"requestContext"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(ev.RequestContext))
	}
	for _, s := range []string{
		`null`, `{}`, `[]`, `"x"`, `{"http":null}`, `{"HTTP":{"METHOD":"GET","method":"POST"}}`, `{"http":{"method":null}}`,
		`{"elb":{"targetGroupArn":"arn"},"elb":null}`, `{"identity":{"sourceIp":5}}`, `{"domainName":"a\u00e9\ud800"}`,
		`{"http":{"method":"GET"},"http":{"path":"/p"}}`, `{"requestId":"r","other":[1,{"a":true}]} `,
		`{"domainName":"first","requestId":"r"}, "requestContext": {"domainName": "second"}`,
		`{"domainName":5}, "requestContext": {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		event := append(append([]byte(`{"requestContext":`), data...), '}')
		var got Request
		gerr := got.Decode(event)
		// The reference is what decoding used to do in two steps: the
		// raw context (the last one wins), then encoding/json on it.
		var raw struct {
			RequestContext json.RawMessage `json:"requestContext"`
		}
		if werr := json.Unmarshal(event, &raw); (gerr == nil) != (werr == nil) {
			t.Fatalf("Decode error %v, encoding/json error %v for %q", gerr, werr, event)
		}
		if gerr != nil {
			return
		}
		var wantCtx RequestContext
		var cerr error
		if len(raw.RequestContext) > 0 {
			cerr = json.Unmarshal(raw.RequestContext, &wantCtx)
		}
		if (got.ContextError == nil) != (cerr == nil) {
			t.Fatalf("context error %v, encoding/json error %v for %q", got.ContextError, cerr, event)
		}
		if cerr != nil {
			return
		}
		if !reflect.DeepEqual(got.Context, wantCtx) {
			g, _ := json.Marshal(got.Context)
			w, _ := json.Marshal(wantCtx)
			t.Fatalf("Decode = %s\nencoding/json = %s", g, w)
		}
	})
}
