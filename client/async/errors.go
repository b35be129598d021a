package async

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/smithy-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// codeOf maps the error code of an SQS or SNS error to a gRPC code.
func codeOf(awsCode string) codes.Code {
	c := strings.TrimPrefix(awsCode, "AWS.SimpleQueueService.")
	switch c {
	case "NonExistentQueue", "QueueDoesNotExist", "NotFound", "NotFoundException", "ResourceNotFoundException":
		return codes.NotFound
	case "AccessDenied", "AccessDeniedException", "AuthorizationError", "AuthorizationErrorException",
		"KMSAccessDenied", "KmsAccessDenied", "KMSAccessDeniedException", "InvalidSecurity", "OptInRequired":
		return codes.PermissionDenied
	case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken",
		"ExpiredTokenException", "IncompleteSignature", "MissingAuthenticationToken":
		return codes.Unauthenticated
	case "Throttling", "ThrottlingException", "RequestThrottled", "ThrottledException", "KMSThrottling",
		"KmsThrottled", "KMSThrottlingException", "ServiceUnavailable", "ServiceUnavailableException",
		"InternalError", "InternalFailure", "InternalErrorException", "RequestTimeout":
		return codes.Unavailable
	case "InvalidParameterValue", "InvalidParameter", "InvalidParameterException", "InvalidParameterValueException",
		"MissingParameter", "InvalidMessageContents", "InvalidAttributeName", "InvalidAttributeValue",
		"ValidationError", "ValidationException", "UnsupportedOperation", "InvalidAddress", "InvalidBatchEntryId",
		"MessageTooLong", "InvalidIdFormat", "InvalidAction", "MalformedInput":
		return codes.InvalidArgument
	case "QueueDeletedRecently", "KMSDisabled", "KmsDisabled", "KMSInvalidState", "KmsInvalidState",
		"KMSNotFound", "KmsNotFound", "KMSDisabledException", "EndpointDisabled", "PlatformApplicationDisabled":
		return codes.FailedPrecondition
	case "OverLimit", "KMSOptInRequired":
		return codes.ResourceExhausted
	}
	return codes.Unknown
}

// toStatus turns an error of the SDK into a gRPC status error: the
// context's end as such, the service's error codes by codeOf, a network
// failure UNAVAILABLE.
func toStatus(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return status.FromContextError(ctxErr).Err()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return status.FromContextError(err).Err()
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return status.Errorf(codeOf(apiErr.ErrorCode()), "async: %s: %s: %s", op, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return status.Errorf(codes.Unavailable, "async: %s: %v", op, err)
	}
	return status.Errorf(codes.Unknown, "async: %s: %v", op, err)
}
