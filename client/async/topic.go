package async

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Topic publishes unary calls as messages to an SNS topic, with the same
// attributes and body as a Queue's. It is a grpc.ClientConnInterface.
type Topic struct {
	arn    string
	fifo   bool
	client *sns.Client
	opts   options
}

var _ grpc.ClientConnInterface = (*Topic)(nil)

// NewTopic returns a Topic publishing to the topic topicARN, through the
// client of WithSNSClient, else one made from WithConfig's configuration or
// the default one. A default client takes the region from the ARN when the
// configuration has none.
func NewTopic(topicARN string, opts ...Option) (*Topic, error) {
	a, err := arn.Parse(topicARN)
	if err != nil || a.Service != "sns" || a.Resource == "" {
		return nil, status.Errorf(codes.InvalidArgument, "async: %q is not a topic ARN: use arn:aws:sns:REGION:ACCOUNT:NAME", topicARN)
	}
	t := &Topic{arn: topicARN, fifo: strings.HasSuffix(a.Resource, ".fifo")}
	for _, o := range opts {
		o(&t.opts)
	}
	t.client = t.opts.snsClient
	if t.client == nil {
		cfg, err := t.opts.config()
		if err != nil {
			return nil, err
		}
		t.client = sns.NewFromConfig(cfg, func(o *sns.Options) {
			if o.Region == "" {
				o.Region = a.Region
			}
		})
	}
	return t, nil
}

// ARN is the topic's ARN.
func (t *Topic) ARN() string { return t.arn }

// Invoke publishes the call as one message and returns when SNS has
// accepted it. reply is reset: the method's answer is not waited for.
func (t *Topic) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, err := encode(ctx, method, args, t.opts.json)
	if err != nil {
		return err
	}
	in := &sns.PublishInput{TopicArn: aws.String(t.arn), Message: aws.String(m.body), MessageAttributes: make(map[string]types.MessageAttributeValue, len(m.attrs))}
	for _, a := range m.attrs {
		if a.binary {
			in.MessageAttributes[a.name] = types.MessageAttributeValue{DataType: aws.String("Binary"), BinaryValue: a.bin}
		} else {
			in.MessageAttributes[a.name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(a.str)}
		}
	}
	if t.fifo {
		group, dedup, err := fifoIDs(ctx, &t.opts, "topic "+t.arn, method, args)
		if err != nil {
			return err
		}
		in.MessageGroupId = aws.String(group)
		if dedup != "" {
			in.MessageDeduplicationId = aws.String(dedup)
		}
	}
	out, err := t.client.Publish(ctx, in)
	if err != nil {
		return toStatus(ctx, "Publish to "+t.arn, err)
	}
	storeMessageID(opts, aws.ToString(out.MessageId))
	resetReply(reply)
	return nil
}

// NewStream ends UNIMPLEMENTED: a stream cannot be published.
func (t *Topic) NewStream(_ context.Context, _ *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Errorf(codes.Unimplemented, "async: %s is a streaming method: only unary calls can be published as messages", method)
}
