package rest

import (
	"errors"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A body past the limit fails RESOURCE_EXHAUSTED; one at the limit reads
// whole.
func TestLimitedBody(t *testing.T) {
	b, err := io.ReadAll(&limitedBody{r: strings.NewReader("12345"), n: 5})
	if err != nil || string(b) != "12345" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	_, err = io.ReadAll(&limitedBody{r: strings.NewReader("123456"), n: 5})
	if !errors.Is(err, errBodyTooLarge) {
		t.Fatalf("past the limit: %v", err)
	}
	if st := status.Convert(bodyError(err)); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "exceeds") {
		t.Fatalf("status %v", st)
	}
	if st := status.Convert(bodyError(errors.New("bad json"))); st.Code() != codes.InvalidArgument {
		t.Fatalf("status %v", st)
	}
	if b, err := io.ReadAll(&limitedBody{}); err != nil || len(b) != 0 {
		t.Fatalf("no body: %q, %v", b, err)
	}
}
