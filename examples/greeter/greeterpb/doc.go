// Package greeterpb holds the generated code of the example Greeter service.
package greeterpb

//go:generate ../../../scripts/generate.sh
