package eventsource

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
)

func TestRecordsFirst(t *testing.T) {
	for _, tc := range []struct {
		payload string
		want    bool
	}{
		{`{"Records":[]}`, true},
		{" \n{ \t\"Records\" : []}", true},
		{`{"version":"2.0","Records":[]}`, false},
		{`{"records":[]}`, false},
		{`["Records"]`, false},
		{`{"Rec`, false},
		{``, false},
		{`{"version":"0","detail-type":"x"}`, false},
	} {
		if got := recordsFirst([]byte(tc.payload)); got != tc.want {
			t.Errorf("recordsFirst(%q) = %v, want %v", tc.payload, got, tc.want)
		}
	}
}

func TestIsMethodName(t *testing.T) {
	for s, want := range map[string]bool{
		"/pkg.Svc/Method":       true,
		"/a.b.c.Svc/M":          true,
		"pkg.Svc/Method":        false,
		"/Svc/Method":           false, // EventBridge detail-types without a package are left to routes
		"/pkg.Svc/":             false,
		"/pkg.Svc/M/x":          false,
		"/pkg.Svc/M?x=1":        false,
		"/pkg.Svc/Order Placed": false,
		"Order Placed":          false,
		"":                      false,
	} {
		if got := isMethodName(s); got != want {
			t.Errorf("isMethodName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestNewMessage(t *testing.T) {
	ok := []attribute{{name: "grpc-method", value: "/a.B/C"}}
	for _, tc := range []struct {
		name  string
		attrs []attribute
		body  string
		route string
		code  codes.Code
	}{
		{"json", ok, `{}`, "", codes.OK},
		{"routed", nil, `{}`, "/a.B/D", codes.OK},
		{"no method", nil, `{}`, "", codes.Unimplemented},
		{"proto", append(ok, attribute{name: "Content-Type", value: "application/proto"}), "CgA=", "", codes.OK},
		{"bad base64", append(ok, attribute{name: "content-type", value: "application/proto"}), "!", "", codes.InvalidArgument},
		{"other content type", append(ok, attribute{name: "content-type", value: "text/plain"}), "x", "", codes.InvalidArgument},
		{"binary method", []attribute{{name: "grpc-method", value: "AA==", binary: true}}, `{}`, "", codes.InvalidArgument},
		{"reserved key", append(ok, attribute{name: "grpc-timeout", value: "1S"}), `{}`, "", codes.InvalidArgument},
		{"protocol key", append(ok, attribute{name: "connect-timeout-ms", value: "1"}), `{}`, "", codes.InvalidArgument},
		{"bad key", append(ok, attribute{name: "a b", value: "v"}), `{}`, "", codes.InvalidArgument},
		{"string -bin", append(ok, attribute{name: "x-bin", value: "v"}), `{}`, "", codes.InvalidArgument},
		{"bad value", append(ok, attribute{name: "x", value: "caf\u00e9"}), `{}`, "", codes.InvalidArgument},
		{"bad binary", append(ok, attribute{name: "x", value: "%%", binary: true}), `{}`, "", codes.InvalidArgument},
		{"binary", append(ok, attribute{name: "x", value: "AP8=", binary: true}), `{}`, "", codes.OK},
	} {
		m, st := newMessage(tc.attrs, tc.body, tc.route)
		if got := st.Code(); got != tc.code {
			t.Errorf("%s: %v (%v), want %v", tc.name, got, st, tc.code)
			continue
		}
		if st == nil && m.method == "" {
			t.Errorf("%s: no method", tc.name)
		}
	}
	m, _ := newMessage(append(ok, attribute{name: "X-Trace", value: "t"}, attribute{name: "tok", value: "AP8=", binary: true}), `{}`, "")
	if m.header.Get("x-trace") != "t" || m.header.Get("tok-bin") != "AP8=" || m.method != "/a.B/C" || m.proto {
		t.Errorf("message %+v", m)
	}
}

func TestDecodeFixtures(t *testing.T) {
	routes := map[string]string{"aws.ec2": "/grpc.testing.TestService/EmptyCall"}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(asyncSeeds, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	it, ok := decodeEventBridge(read("eventbridge-ec2.json"), routes)
	if !ok || it.bad != nil || it.msg.method != "/grpc.testing.TestService/EmptyCall" || it.rec.Origin != "aws.ec2" {
		t.Errorf("EC2 event: %+v", it)
	}
	if _, ok := decodeEventBridge(read("sqs.json"), routes); ok {
		t.Error("an SQS event decoded as an EventBridge event")
	}
	if !recordsFirst(read("sqs.json")) || !recordsFirst(read("sns.json")) {
		t.Error("the sample SQS and SNS events do not start with Records")
	}
}

// BenchmarkRecordsFirst is what the SQS and SNS sources, asked first, cost
// an HTTP event.
func BenchmarkRecordsFirst(b *testing.B) {
	ev, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", "functionurl.json"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if recordsFirst(ev) {
			b.Fatal("an HTTP event taken for records")
		}
	}
}
