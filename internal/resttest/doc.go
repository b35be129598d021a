// Package resttest holds the test service of lambdagrpc's REST protocol
// (librarypb.Library, whose annotations use every google.api.http feature
// that grpc-gateway supports) and an in-memory implementation of it whose
// answers echo what each request carried, so that a test can compare how
// two REST front ends map the same HTTP request onto it.
package resttest
