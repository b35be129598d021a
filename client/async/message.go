package async

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lambdagrpc/lambdagrpc/internal/wire"
)

// Attribute names and content types of the wire contract.
const (
	MethodAttribute      = "grpc-method"
	ContentTypeAttribute = "content-type"
	ContentTypeProto     = "application/proto"
	ContentTypeJSON      = "application/json"
	// MaxAttributes is how many attributes SQS and SNS allow a message.
	MaxAttributes = 10
)

// attribute is one message attribute, before it takes the SDK's type.
type attribute struct {
	name   string
	str    string
	bin    []byte
	binary bool
}

// message is a call as SQS or SNS carries it.
type message struct {
	body  string
	attrs []attribute
}

// validName is what SQS and SNS accept as an attribute name.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,255}$`)

func checkName(name string) error {
	lower := strings.ToLower(name)
	if !validName.MatchString(name) || strings.HasSuffix(name, ".") || strings.Contains(name, "..") ||
		strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return status.Errorf(codes.InvalidArgument, "async: metadata key %q cannot be a message attribute: use letters, digits, '-', '_' and single inner '.', at most 256 characters, not starting with AWS. or Amazon.", name)
	}
	return nil
}

// encode turns a call into a message: the request's bytes as the body, the
// method, the content type and the outgoing metadata as attributes.
func encode(ctx context.Context, method string, args any, asJSON bool) (*message, error) {
	req, ok := args.(proto.Message)
	if !ok {
		return nil, status.Errorf(codes.Internal, "async: the request is a %T, not a proto.Message", args)
	}
	m := &message{}
	if asJSON {
		b, err := protojson.Marshal(req)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "async: marshal the request as JSON: %v", err)
		}
		m.body = string(b)
		m.attrs = append(m.attrs, attribute{name: ContentTypeAttribute, str: ContentTypeJSON})
	} else {
		b, err := proto.Marshal(req)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "async: marshal the request: %v", err)
		}
		m.body = base64.StdEncoding.EncodeToString(b)
		m.attrs = append(m.attrs, attribute{name: ContentTypeAttribute, str: ContentTypeProto})
	}
	m.attrs = append(m.attrs, attribute{name: MethodAttribute, str: method})
	md, _ := metadata.FromOutgoingContext(ctx)
	for key, vals := range md {
		if key == MethodAttribute || key == ContentTypeAttribute || len(vals) == 0 {
			continue
		}
		if err := checkName(key); err != nil {
			return nil, err
		}
		if wire.IsUnsendableKey(key) {
			return nil, status.Errorf(codes.InvalidArgument, "async: metadata key %q is a protocol header, which the function refuses as an attribute: rename it", key)
		}
		if strings.HasSuffix(key, "-bin") {
			if len(vals) > 1 {
				return nil, status.Errorf(codes.InvalidArgument, "async: metadata key %q has %d values: a Binary message attribute holds one", key, len(vals))
			}
			m.attrs = append(m.attrs, attribute{name: key, bin: []byte(vals[0]), binary: true})
			continue
		}
		v := strings.Join(vals, ", ")
		if !wire.IsPrintable(v) {
			return nil, status.Errorf(codes.InvalidArgument, "async: metadata key %q has a value that is not printable ASCII: send bytes under a key ending in -bin", key)
		}
		m.attrs = append(m.attrs, attribute{name: key, str: v})
	}
	if len(m.attrs) > MaxAttributes {
		return nil, status.Errorf(codes.InvalidArgument, "async: the call needs %d message attributes (method, content type and %d metadata keys), more than the %d a message may have: send at most %d metadata keys", len(m.attrs), len(m.attrs)-2, MaxAttributes, MaxAttributes-2)
	}
	return m, nil
}

// fifoIDs returns the message group and deduplication IDs of a call to a
// FIFO queue or topic (name is for messages).
func fifoIDs(ctx context.Context, o *options, name, method string, args any) (group, dedup string, err error) {
	req, _ := args.(proto.Message)
	if o.groupID != nil {
		group = o.groupID(ctx, method, req)
	}
	if group == "" {
		return "", "", status.Errorf(codes.InvalidArgument, "async: %s is FIFO and the call to %s has no message group ID: give one with WithMessageGroupID", name, method)
	}
	if o.dedupID != nil {
		dedup = o.dedupID(ctx, method, req)
	}
	return group, dedup, nil
}

// resetReply leaves the reply an empty message, as documented.
func resetReply(reply any) {
	if r, ok := reply.(proto.Message); ok {
		proto.Reset(r)
	}
}
