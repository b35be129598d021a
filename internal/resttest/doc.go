// Package resttest is the differential test kit of lambdagrpc's REST
// protocol against grpc-gateway v2.
//
// It holds the test service (librarypb.Library, whose annotations use every
// google.api.http feature that grpc-gateway supports, with grpc-gateway's
// generated mux beside it), an in-memory implementation whose answers echo
// what each request carried (NewServer), a corpus of REST requests
// (testdata/corpus.json, read by LoadCorpus), the ways to send a request to
// a front end (HandlerFront, EventFront, HTTPFront) and Compare, which says
// how two answers differ.
package resttest
