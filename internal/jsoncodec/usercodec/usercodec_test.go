package usercodec_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc"
	"github.com/lambdagrpc/lambdagrpc/internal/jsoncodec"
	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

// counting is a program's own "json" codec: protojson, counting its calls.
type counting struct{ calls *atomic.Int64 }

func (counting) Name() string { return "json" }

func (c counting) Marshal(v any) ([]byte, error) {
	c.calls.Add(1)
	return protojson.Marshal(v.(proto.Message))
}

func (c counting) Unmarshal(b []byte, v any) error {
	c.calls.Add(1)
	return protojson.Unmarshal(b, v.(proto.Message))
}

var calls atomic.Int64

// The program registers its codec in an init, which runs after
// lambdagrpc's.
func init() { encoding.RegisterCodec(counting{&calls}) }

// TestUserCodecWins: Connect JSON calls use the program's codec, and a
// registration of lambdagrpc's that runs after the program's (as when the
// program's codec package is initialised first) leaves it in place.
func TestUserCodecWins(t *testing.T) {
	jsoncodec.Register()
	if _, ok := encoding.GetCodec("json").(counting); !ok {
		t.Fatalf("the json codec is %T, want the program's own", encoding.GetCodec("json"))
	}
	s := grpc.NewServer()
	testsvc.Register(s)
	ts := httptest.NewServer(lambdagrpc.NewHandler(s))
	t.Cleanup(ts.Close)
	resp, err := http.Post(ts.URL+"/grpc.testing.TestService/UnaryCall", "application/json", bytes.NewReader([]byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the program's codec ran %d times, want 2 (request and response)", n)
	}
}
