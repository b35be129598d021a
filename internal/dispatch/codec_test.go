package dispatch

import (
	"testing"

	"google.golang.org/grpc/encoding"
)

// testCodec is an encoding.Codec whose values carry data, so that codecs
// of one type can differ.
type testCodec struct{ name string }

func (c *testCodec) Marshal(any) ([]byte, error) { return []byte(c.name), nil }
func (*testCodec) Unmarshal([]byte, any) error   { return nil }
func (c *testCodec) Name() string                { return c.name }

// sliceCodec cannot be compared with ==.
type sliceCodec struct{ tag []byte }

func (c sliceCodec) Marshal(any) ([]byte, error) { return c.tag, nil }
func (sliceCodec) Unmarshal([]byte, any) error   { return nil }
func (sliceCodec) Name() string                  { return "slice" }

func marshalled(t *testing.T, c baseCodec) string {
	t.Helper()
	b, err := c.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(b.Materialize())
}

// The adapter of a V1 codec is reused for the same codec, and never
// stands in for another one.
func TestAdaptV1(t *testing.T) {
	a, b := &testCodec{"a"}, &testCodec{"b"}
	for _, tc := range []struct {
		c    encoding.Codec
		want string
	}{{a, "a"}, {a, "a"}, {b, "b"}, {a, "a"}, {sliceCodec{[]byte("s")}, "s"}, {sliceCodec{[]byte("t")}, "t"}, {b, "b"}} {
		if got := marshalled(t, adaptV1(tc.c)); got != tc.want {
			t.Fatalf("adaptV1(%v) marshals as codec %q, want %q", tc.c, got, tc.want)
		}
	}
	adaptV1(a)
	if n := testing.AllocsPerRun(10, func() { adaptV1(a) }); n != 0 {
		t.Errorf("adaptV1 of the codec it adapted last allocates %v times", n)
	}
}
