package eventstream

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	names := []string{":event-type", ":content-type", ":message-type"}
	var b []byte
	var err error
	msgs := []Message{
		{Headers: map[string]string{":event-type": "PayloadChunk", ":content-type": "application/octet-stream", ":message-type": "event"}, Payload: []byte("hello")},
		{Headers: map[string]string{":event-type": "InvokeComplete", ":message-type": "event"}, Payload: []byte(`{}`)},
	}
	for _, m := range msgs {
		if b, err = Append(b, names, m); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(bytes.NewReader(b))
	for i, want := range msgs {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(got.Payload, want.Payload) || len(got.Headers) != len(want.Headers) {
			t.Fatalf("message %d = %+v, want %+v", i, got, want)
		}
		for k, v := range want.Headers {
			if got.Headers[k] != v {
				t.Errorf("header %s = %q, want %q", k, got.Headers[k], v)
			}
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last message: %v, want EOF", err)
	}
	// A flipped payload byte fails the message CRC.
	b[len(b)-6] ^= 1
	r = NewReader(bytes.NewReader(b))
	_, _ = r.Next()
	if _, err := r.Next(); !errors.Is(err, ErrCRC) {
		t.Fatalf("corrupted message: %v, want ErrCRC", err)
	}
}

func FuzzReader(f *testing.F) {
	seed, _ := Append(nil, []string{":event-type"}, Message{Headers: map[string]string{":event-type": "PayloadChunk"}, Payload: []byte("x")})
	f.Add(seed)
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for range 100 {
			m, err := r.Next()
			if err != nil {
				return
			}
			// What reads back re-encodes to a message that reads the same.
			names := make([]string, 0, len(m.Headers))
			for k := range m.Headers {
				names = append(names, k)
			}
			enc, err := Append(nil, names, *m)
			if err != nil {
				continue
			}
			m2, err := NewReader(bytes.NewReader(enc)).Next()
			if err != nil || !bytes.Equal(m2.Payload, m.Payload) {
				t.Fatalf("re-encoded message does not read back: %v", err)
			}
		}
	})
}
