// Package deadletter holds dead-letter targets for [lambdagrpc.WithDeadLetter]:
// where the SQS, SNS and EventBridge records whose calls failed for good
// go. It is a package of its own so that functions without one do not link
// the AWS SDK.
package deadletter
