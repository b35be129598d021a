package emulator

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// TestWriteEventBytes pins the bytes of InvokeWithResponseStream events:
// the messages the AWS SDKs read (test/awssdk runs the real client), byte
// for byte, so a change in the encoder shows here first.
func TestWriteEventBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		eventType, contentType, payload string
		want                            string
	}{
		{"PayloadChunk", "application/octet-stream", "hello",
			"0000006f0000005af5fe871f" +
				"0b3a6576656e742d74797065" + "07000c" + hex.EncodeToString([]byte("PayloadChunk")) +
				"0d3a636f6e74656e742d74797065" + "070018" + hex.EncodeToString([]byte("application/octet-stream")) +
				"0d3a6d6573736167652d74797065" + "070005" + hex.EncodeToString([]byte("event")) +
				hex.EncodeToString([]byte("hello")) + "29e71260"},
		{"InvokeComplete", "application/json", "{}",
			"00000066000000541f56c869" +
				"0b3a6576656e742d74797065" + "07000e" + hex.EncodeToString([]byte("InvokeComplete")) +
				"0d3a636f6e74656e742d74797065" + "070010" + hex.EncodeToString([]byte("application/json")) +
				"0d3a6d6573736167652d74797065" + "070005" + hex.EncodeToString([]byte("event")) +
				hex.EncodeToString([]byte("{}")) + "7006d467"},
	} {
		var b bytes.Buffer
		if err := writeEvent(&b, eventstream.NewEncoder(), c.eventType, c.contentType, []byte(c.payload)); err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(b.Bytes()); got != c.want {
			t.Errorf("%s event:\n got %s\nwant %s", c.eventType, got, c.want)
		}
	}
}

// TestWriteEventRoundTrip reads a stream of events back with the AWS SDK's
// decoder: headers, payloads, a clean end, and a corrupted byte caught by
// the message CRC.
func TestWriteEventRoundTrip(t *testing.T) {
	t.Parallel()
	type event struct{ eventType, contentType, payload string }
	events := []event{
		{"PayloadChunk", "application/octet-stream", "hello"},
		{"PayloadChunk", "application/octet-stream", ""},
		{"PayloadChunk", "application/octet-stream", string(bytes.Repeat([]byte{0, 0xff}, 20000))},
		{"InvokeComplete", "application/json", `{"ErrorCode":"Function.Asked"}`},
	}
	var b bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, e := range events {
		if err := writeEvent(&b, enc, e.eventType, e.contentType, []byte(e.payload)); err != nil {
			t.Fatal(err)
		}
	}
	wire := bytes.Clone(b.Bytes())
	dec := eventstream.NewDecoder()
	for i, want := range events {
		m, err := dec.Decode(&b, nil)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		got := event{m.Headers.Get(":event-type").String(), m.Headers.Get(":content-type").String(), string(m.Payload)}
		if got != want || len(m.Headers) != 3 || m.Headers.Get(":message-type").String() != "event" {
			t.Fatalf("event %d = %q %v, want %q", i, got.eventType, m.Headers, want.eventType)
		}
	}
	if _, err := dec.Decode(&b, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last event: %v, want EOF", err)
	}
	// A flipped byte in the last payload fails its message CRC.
	wire[len(wire)-6] ^= 1
	r := bytes.NewReader(wire)
	for range len(events) - 1 {
		if _, err := dec.Decode(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	var crcErr eventstream.ChecksumError
	if _, err := dec.Decode(r, nil); !errors.As(err, &crcErr) {
		t.Fatalf("corrupted event: %v, want a checksum error", err)
	}
}
