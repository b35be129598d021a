package async

import (
	"testing"

	"google.golang.org/grpc/codes"
)

// TestCodeOf: SQS's and SNS's error codes, in both the JSON protocol's and
// the query protocol's spelling, map to the gRPC codes a caller acts on.
func TestCodeOf(t *testing.T) {
	for awsCode, want := range map[string]codes.Code{
		"AWS.SimpleQueueService.NonExistentQueue": codes.NotFound,
		"QueueDoesNotExist":                       codes.NotFound,
		"NotFound":                                codes.NotFound,
		"AccessDenied":                            codes.PermissionDenied,
		"AuthorizationError":                      codes.PermissionDenied,
		"InvalidClientTokenId":                    codes.Unauthenticated,
		"ThrottlingException":                     codes.Unavailable,
		"AWS.SimpleQueueService.RequestThrottled": codes.Unavailable,
		"InvalidParameterValue":                   codes.InvalidArgument,
		"InvalidMessageContents":                  codes.InvalidArgument,
		"KMSDisabled":                             codes.FailedPrecondition,
		"OverLimit":                               codes.ResourceExhausted,
		"SomethingNew":                            codes.Unknown,
	} {
		if got := codeOf(awsCode); got != want {
			t.Errorf("codeOf(%q) = %s, want %s", awsCode, got, want)
		}
	}
}
