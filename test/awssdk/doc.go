// Package awssdk holds tests that drive the emulator with the AWS SDK for
// Go, in a module of their own so the SDK stays out of the project's
// go.mod.
package awssdk
