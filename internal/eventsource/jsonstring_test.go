package eventsource

import (
	"encoding/json"
	"testing"
)

// TestAppendJSONString checks the encoder against encoding/json, which
// reads back what it wrote, on the bytes that need care.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "\n\r\t\x00\x1f\x7f", "é ü 日本", "\u2028\u2029", "bad \xff utf-8 \xc3", "<html>&"} {
		checkJSONString(t, []byte(s))
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add([]byte("\"\\\n\x01\xff\u2028é"))
	f.Fuzz(checkJSONString)
}

func checkJSONString(t *testing.T, p []byte) {
	enc := appendJSONString(nil, p)
	if n := jsonStringLen(p); n != len(enc) {
		t.Fatalf("jsonStringLen(%q) = %d, encoded %d bytes", p, n, len(enc))
	}
	var got string
	if err := json.Unmarshal([]byte(`"`+string(enc)+`"`), &got); err != nil {
		t.Fatalf("encoding %q: %v", p, err)
	}
	want, _ := json.Marshal(string(p))
	var wantS string
	_ = json.Unmarshal(want, &wantS)
	if got != wantS {
		t.Fatalf("%q encoded as %q, reads back %q, want %q", p, enc, got, wantS)
	}
}
