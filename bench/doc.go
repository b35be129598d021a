// Package bench compares lambdagrpc with its peers, side by side in one
// run. It is a module of its own so the peers stay out of the project's
// go.mod. Every benchmarked path is checked for a correct answer first, so
// a broken path cannot look fast.
package bench
