// Command vanguard is the test service behind vanguard's transcoder and
// algnhsa, a peer of lambdagrpc.
package main

import (
	"connectrpc.com/vanguard/vanguardgrpc"
	"github.com/akrylysov/algnhsa"
	"google.golang.org/grpc"

	"github.com/lambdagrpc/lambdagrpc/internal/testsvc"
)

func main() {
	s := grpc.NewServer()
	testsvc.Register(s)
	t, err := vanguardgrpc.NewTranscoder(s)
	if err != nil {
		panic(err)
	}
	algnhsa.ListenAndServe(t, &algnhsa.Options{BinaryContentTypes: []string{"*/*"}})
}
