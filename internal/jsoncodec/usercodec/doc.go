// Package usercodec holds a test, in a binary of its own, that a program's
// own "json" codec wins over the one lambdagrpc registers.
package usercodec
