package rest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/internal/httpx"
	"github.com/lambdagrpc/lambdagrpc/internal/resttest/librarypb"
)

// FuzzRESTInPlaceDecode: decoding a body in memory in place gives what
// grpc-gateway's JSONPb decoder gives, message and error alike, for the
// decodes a request makes (the whole body, then the end).
func FuzzRESTInPlaceDecode(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `null`, `{"title":"T","pages":"3","genre":"GENRE_FICTION","tags":["a"]}`,
		`{"title":"T"} `, `{"title":"T"}{"title":"U"}`, `{"title":"T"} x`, `{"title":`, `[1]`, `"x"`,
		`{"cover":{"color":"red","image":"aGk="}}`, `{"unknown":1,"title":"T"}`, `{"title":"\ud800"}`,
		`{"publishTime":"2001-02-03T04:05:06Z"}`, `{"pages":1e3}`, "{\"title\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	m := newMarshaler()
	ref := &runtime.HTTPBodyMarshaler{Marshaler: &runtime.JSONPb{
		MarshalOptions:   m.(*runtime.HTTPBodyMarshaler).Marshaler.(jsonMarshaler).MarshalOptions,
		UnmarshalOptions: m.(*runtime.HTTPBodyMarshaler).Marshaler.(jsonMarshaler).UnmarshalOptions,
	}}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, want := &librarypb.Book{}, &librarypb.Book{}
		dec := m.NewDecoder(httpx.NewMemoryBody(bytes.Clone(body)))
		if _, ok := dec.(*memoryDecoder); !ok {
			t.Fatalf("a body in memory is decoded by %T", dec)
		}
		refDec := ref.NewDecoder(bytes.NewReader(body))
		for i := range 2 {
			gerr, werr := dec.Decode(got), refDec.Decode(want)
			if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
				t.Fatalf("body %q, decode %d: error %v, JSONPb's %v", body, i, gerr, werr)
			}
			if errors.Is(werr, io.EOF) || werr != nil {
				break
			}
			if !proto.Equal(got, want) {
				t.Fatalf("body %q: %v, JSONPb's %v", body, got, want)
			}
		}
	})
}
