package async

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"google.golang.org/protobuf/proto"
)

// Option configures a Queue or a Topic.
type Option func(*options)

// IDFunc returns an ID for the message that carries req, a call to method.
type IDFunc func(ctx context.Context, method string, req proto.Message) string

type options struct {
	cfg       *aws.Config
	sqsClient *sqs.Client
	snsClient *sns.Client
	json      bool
	groupID   IDFunc
	dedupID   IDFunc
}

// WithConfig builds the SQS or SNS client from cfg instead of the default
// configuration (config.LoadDefaultConfig).
func WithConfig(cfg aws.Config) Option {
	return func(o *options) { o.cfg = &cfg }
}

// WithSQSClient sends a Queue's messages through c.
func WithSQSClient(c *sqs.Client) Option {
	return func(o *options) { o.sqsClient = c }
}

// WithSNSClient publishes a Topic's messages through c.
func WithSNSClient(c *sns.Client) Option {
	return func(o *options) { o.snsClient = c }
}

// WithJSON sends requests as protojson ("application/json") instead of
// base64 protobuf: larger, but readable in the AWS console.
func WithJSON() Option {
	return func(o *options) { o.json = true }
}

// WithMessageGroupID gives each message of a FIFO queue or topic its
// message group: messages of one group are delivered in order. A FIFO send
// without one ends INVALID_ARGUMENT; f returning "" does too.
func WithMessageGroupID(f IDFunc) Option {
	return func(o *options) { o.groupID = f }
}

// WithDeduplicationID gives each message of a FIFO queue or topic its
// deduplication ID: a message with the ID of one sent in the last five
// minutes is accepted but not delivered again. Without it, the queue or
// topic must have content-based deduplication.
func WithDeduplicationID(f IDFunc) Option {
	return func(o *options) { o.dedupID = f }
}
