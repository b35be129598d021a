// Package librarypb holds the generated code of the REST test service
// Library: its messages, its gRPC client and server, and grpc-gateway's
// generated mux, the reference of the differential test.
package librarypb

//go:generate ../../../scripts/generate.sh
