package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
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
		`{"requestContext":{"http":{"method":"GET"}},"requestContext":null}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecode checks Decode against encoding/json: same acceptance, same
// fields, and the body decoded as encoding/json plus base64 would.
func FuzzDecode(f *testing.F) {
	seedEvents(f)
	f.Fuzz(checkDecode)
}

// FuzzDecodeNesting checks Decode as FuzzDecode does, on events nested
// thousands of levels deep around encoding/json's limit: FuzzDecode's
// inputs stay small and never get there. The event is prefix, depth levels
// of arrays and objects (shape's bits choose), and suffix.
func FuzzDecodeNesting(f *testing.F) {
	for _, at := range depthSites {
		for _, shape := range []byte{0x00, 0xff, 0x5a} {
			f.Add(at.prefix, uint16(jsonMaxDepth-at.depth), shape, at.suffix)
			f.Add(at.prefix, uint16(jsonMaxDepth-at.depth+1), shape, at.suffix)
		}
	}
	f.Add(`{"zz":`, uint16(65535), byte(0), `}`)
	f.Fuzz(func(t *testing.T, prefix string, depth uint16, shape byte, suffix string) {
		checkDecode(t, nest(prefix, int(depth), shape, suffix))
	})
}

// checkDecode checks Decode against encoding/json on one event.
func checkDecode(t *testing.T, data []byte) {
	var got, want Request
	gerr := got.Decode(data)
	werr := json.Unmarshal(data, &want)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("Decode error %v, encoding/json error %v for %.200q", gerr, werr, data)
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
	// The requestContext decoded in the same pass is the last one's.
	var wantCtx RequestContext
	var cerr error
	if len(want.RequestContext) > 0 {
		cerr = json.Unmarshal(want.RequestContext, &wantCtx)
	}
	if (got.ContextError == nil) != (cerr == nil) {
		t.Fatalf("context error %v, encoding/json error %v", got.ContextError, cerr)
	}
	if cerr == nil && !reflect.DeepEqual(got.Context, wantCtx) {
		g, _ := json.Marshal(got.Context)
		w, _ := json.Marshal(wantCtx)
		t.Fatalf("Decode context = %s\nencoding/json = %s", g, w)
	}
	got.BodyBytes, got.BodyError, want.Body, got.Body = nil, nil, "", ""
	got.Context, got.ContextError = RequestContext{}, nil
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("Decode = %.500s\nencoding/json = %.500s", g, w)
	}
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
	// The captured events: small, and mostly nested objects and keys, so
	// the per-value work shows rather than the base64 of a large body.
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "events", "*.json"))
	var small [][]byte
	var n int64
	for _, file := range files {
		ev, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		small, n = append(small, ev), n+int64(len(ev))
	}
	b.Run("Decode-fixtures", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			for _, ev := range small {
				var r Request
				if err := r.Decode(ev); err != nil {
					b.Fatal(err)
				}
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

// nest returns prefix, then depth levels of nesting, then suffix. Level i
// opens an array or, when shape's bit i%8 is set, an object with key "k";
// the innermost value is 0.
func nest(prefix string, depth int, shape byte, suffix string) []byte {
	var open, closing []byte
	for i := range 8 {
		if shape>>i&1 != 0 {
			open, closing = append(open, `{"k":`...), append(closing, '}')
		} else {
			open, closing = append(open, '['), append(closing, ']')
		}
	}
	slices.Reverse(closing)
	b := make([]byte, 0, len(prefix)+depth*len(open)/8+len(open)+1+depth+len(suffix))
	b = append(b, prefix...)
	// Whole periods of eight levels, then the rest, one level at a time.
	b = append(b, bytes.Repeat(open, depth/8)...)
	for i := range depth % 8 {
		if shape>>i&1 != 0 {
			b = append(b, `{"k":`...)
		} else {
			b = append(b, '[')
		}
	}
	b = append(b, '0')
	for i := depth%8 - 1; i >= 0; i-- {
		if shape>>i&1 != 0 {
			b = append(b, '}')
		} else {
			b = append(b, ']')
		}
	}
	b = append(b, bytes.Repeat(closing, depth/8)...)
	return append(b, suffix...)
}

// TestDecodeDeepNesting is the regression test for an event of millions of
// nested arrays: the decoder recursed once per level until the goroutine
// stack overflowed, a fatal error that no recover stops. It must instead
// reject the event as encoding/json does, quickly and in bounded stack.
func TestDecodeDeepNesting(t *testing.T) {
	// A few times the stack that the limit's 10,000 levels need, and far
	// less than three million levels need: a decoder that recursed past the
	// limit would crash here, as it crashed at the default limit of 1 GB.
	defer debug.SetMaxStack(debug.SetMaxStack(16 << 20))
	for _, shape := range []byte{0x00, 0xff, 0x55} {
		event := nest(`{"zz":`, 3_000_000, shape, `}`)
		var r Request
		err := r.Decode(event)
		if err == nil || !strings.Contains(err.Error(), "exceeded max depth") {
			t.Fatalf("shape %#x: Decode error %v, want one saying the event exceeded the maximum nesting depth", shape, err)
		}
	}
}

// TestDecodeDepthLimit checks that Decode accepts nesting exactly as deep
// as encoding/json does (10,000 levels, the event's own object included)
// and rejects one level more, wherever the nesting is.
func TestDecodeDepthLimit(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(16 << 20))
	for _, at := range depthSites {
		for _, shape := range []byte{0x00, 0xff, 0xaa} {
			for _, depth := range []int{jsonMaxDepth - at.depth - 1, jsonMaxDepth - at.depth, jsonMaxDepth - at.depth + 1, jsonMaxDepth - at.depth + 2} {
				event := nest(at.prefix, depth, shape, at.suffix)
				var got, want Request
				gerr := got.Decode(event)
				werr := json.Unmarshal(event, &want)
				if (gerr == nil) != (werr == nil) {
					t.Fatalf("%s, %d levels, shape %#x: Decode error %v, encoding/json error %v", at.prefix, depth, shape, gerr, werr)
				}
				// Where a string is expected, a type error may come first.
				if tooDeep := at.depth+depth > jsonMaxDepth; !at.typed && tooDeep != (gerr != nil && strings.Contains(gerr.Error(), "exceeded max depth")) {
					t.Fatalf("%s, %d levels, shape %#x: Decode error %v, want a depth error: %v", at.prefix, depth, shape, gerr, tooDeep)
				}
			}
		}
	}
}

// jsonMaxDepth is encoding/json's limit on nesting, which Decode matches.
const jsonMaxDepth = 10000

// depthSites are places in an event where nesting can start, how many
// levels deep they already are, and whether a string is expected there.
var depthSites = []struct {
	prefix, suffix string
	depth          int
	typed          bool
}{
	{``, ``, 0, false},
	{`{"zz":`, `}`, 1, false},
	{`{"version":"2.0","zz":[1,`, `]}`, 2, false},
	{`{"requestContext":`, `}`, 1, false},
	{`{"requestContext":{"zz":`, `}}`, 2, false},
	{`{"requestContext":{"http":{"method":"GET","zz":`, `}}}`, 3, false},
	{`{"requestContext":{"identity":{"zz":[`, `]}}}`, 4, false},
	{`{"requestContext":{"http":`, `}}`, 2, false},
	{`{"headers":{"a":`, `}}`, 2, true},
	{`{"multiValueHeaders":{"a":[`, `]}}`, 3, true},
	{`{"cookies":`, `}`, 1, true},
	{`{"body":`, `}`, 1, true},
}
