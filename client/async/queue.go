package async

import (
	"context"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Queue sends unary calls as messages to an SQS queue. It is a
// grpc.ClientConnInterface: pass it to a generated client constructor.
type Queue struct {
	url    string
	fifo   bool
	client *sqs.Client
	opts   options
}

var _ grpc.ClientConnInterface = (*Queue)(nil)

// NewQueue returns a Queue sending to the queue at queueURL, through the
// client of WithSQSClient, else one made from WithConfig's configuration or
// the default one (config.LoadDefaultConfig). A default client takes the
// region from the URL when the configuration has none, and sends to the
// URL's host when it is not an AWS one (a local SQS-compatible server).
func NewQueue(queueURL string, opts ...Option) (*Queue, error) {
	u, err := url.Parse(queueURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || strings.Trim(u.Path, "/") == "" {
		return nil, status.Errorf(codes.InvalidArgument, "async: %q is not a queue URL: use https://sqs.REGION.amazonaws.com/ACCOUNT/NAME", queueURL)
	}
	q := &Queue{url: queueURL, fifo: strings.HasSuffix(u.Path, ".fifo")}
	for _, o := range opts {
		o(&q.opts)
	}
	q.client = q.opts.sqsClient
	if q.client == nil {
		cfg, err := q.opts.config()
		if err != nil {
			return nil, err
		}
		q.client = sqs.NewFromConfig(cfg, func(o *sqs.Options) {
			if o.Region == "" {
				o.Region = regionOf(u.Host, "sqs")
			}
			if o.BaseEndpoint == nil && !isAWSHost(u.Host) {
				o.BaseEndpoint = aws.String(u.Scheme + "://" + u.Host)
			}
		})
	}
	return q, nil
}

// config returns the AWS configuration of WithConfig or the default one.
func (o *options) config() (aws.Config, error) {
	if o.cfg != nil {
		return *o.cfg, nil
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return aws.Config{}, status.Errorf(codes.FailedPrecondition, "async: load the AWS configuration: %v", err)
	}
	return cfg, nil
}

// isAWSHost tells whether host is one of AWS's.
func isAWSHost(host string) bool {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") || strings.HasSuffix(h, ".api.aws")
}

// regionOf returns the region in an AWS host name such as
// sqs.eu-west-1.amazonaws.com, or "".
func regionOf(host, service string) string {
	parts := strings.Split(strings.ToLower(host), ".")
	if len(parts) >= 3 && parts[0] == service && isAWSHost(host) {
		return parts[1]
	}
	return ""
}

// URL is the queue's URL.
func (q *Queue) URL() string { return q.url }

// Invoke sends the call as one message and returns when SQS has accepted
// it. reply is reset: the method's answer is not waited for.
func (q *Queue) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, err := encode(ctx, method, args, q.opts.json)
	if err != nil {
		return err
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(m.body), MessageAttributes: make(map[string]types.MessageAttributeValue, len(m.attrs))}
	for _, a := range m.attrs {
		if a.binary {
			in.MessageAttributes[a.name] = types.MessageAttributeValue{DataType: aws.String("Binary"), BinaryValue: a.bin}
		} else {
			in.MessageAttributes[a.name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(a.str)}
		}
	}
	if q.fifo {
		group, dedup, err := fifoIDs(ctx, &q.opts, "queue "+q.url, method, args)
		if err != nil {
			return err
		}
		in.MessageGroupId = aws.String(group)
		if dedup != "" {
			in.MessageDeduplicationId = aws.String(dedup)
		}
	}
	out, err := q.client.SendMessage(ctx, in)
	if err != nil {
		return toStatus(ctx, "SendMessage to "+q.url, err)
	}
	storeMessageID(opts, aws.ToString(out.MessageId))
	resetReply(reply)
	return nil
}

// NewStream ends UNIMPLEMENTED: a stream cannot be queued.
func (q *Queue) NewStream(_ context.Context, _ *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Errorf(codes.Unimplemented, "async: %s is a streaming method: only unary calls can be sent as messages", method)
}
