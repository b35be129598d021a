package eventsource

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// sourceSNS is the EventSource of SNS records.
const sourceSNS = "aws:sns"

// snsRecord is one record of an SNS notification event.
type snsRecord struct {
	Sns snsMessage `json:"Sns"`
}

// snsMessage is an SNS message: the Sns object of a Lambda event, and the
// JSON envelope SNS writes into an SQS queue's messages unless the
// subscription delivers raw messages.
type snsMessage struct {
	Type              string                  `json:"Type"`
	MessageID         string                  `json:"MessageId"`
	TopicARN          string                  `json:"TopicArn"`
	Message           string                  `json:"Message"`
	MessageAttributes map[string]snsAttribute `json:"MessageAttributes"`
}

// snsAttribute is an SNS message attribute; a Binary one's Value is
// base64.
type snsAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// attributes returns m's attributes in the common form.
func (m *snsMessage) attributes() ([]attribute, *status.Status) {
	attrs := make([]attribute, 0, len(m.MessageAttributes))
	for name, a := range m.MessageAttributes {
		switch {
		case strings.HasPrefix(a.Type, "Binary"):
			attrs = append(attrs, attribute{name: name, value: a.Value, binary: true})
		case strings.HasPrefix(a.Type, "String"), strings.HasPrefix(a.Type, "Number"):
			attrs = append(attrs, attribute{name: name, value: a.Value})
		default:
			return nil, status.Newf(codes.InvalidArgument, "SNS message attribute %q has type %q: use String, Number or Binary", name, a.Type)
		}
	}
	return attrs, nil
}

// snsEnvelopeOf returns the SNS envelope an SQS message body holds, if it
// holds one: a JSON object of Type "Notification" with a TopicArn.
func snsEnvelopeOf(body string) (*snsMessage, bool) {
	i := skipSpace([]byte(body[:min(len(body), 64)]), 0)
	if i >= len(body) || body[i] != '{' || !strings.Contains(body, `"TopicArn"`) {
		return nil, false
	}
	var m snsMessage
	if json.Unmarshal([]byte(body), &m) != nil || m.Type != "Notification" || m.TopicARN == "" {
		return nil, false
	}
	return &m, true
}

// decodeSNS turns an SNS event's records into items.
func decodeSNS(records []json.RawMessage, routes map[string]string) []item {
	items := make([]item, len(records))
	for i, raw := range records {
		it := &items[i]
		it.raw, it.rec.Source = raw, sourceSNS
		var r snsRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			it.bad = status.Newf(codes.InvalidArgument, "the SNS record does not decode: %v", err)
			continue
		}
		it.rec.ID, it.rec.Origin, it.rec.TopicARN = r.Sns.MessageID, r.Sns.TopicARN, r.Sns.TopicARN
		attrs, st := r.Sns.attributes()
		if st != nil {
			it.bad = st
			continue
		}
		it.msg, it.bad = newMessage(attrs, r.Sns.Message, routes[r.Sns.TopicARN])
	}
	return items
}

// answerAsync answers an asynchronous invocation (SNS, EventBridge) after
// running its items. SNS and EventBridge invoke functions asynchronously
// and ignore the answer; Lambda retries an asynchronous invocation that
// fails. So the answer is an invocation error if an item must be
// delivered again, else an empty object (the items are done,
// dead-lettered or dropped).
func (iv *Invoker) answerAsync(ctx context.Context, log *slog.Logger, items []item) asyncAnswer {
	for i, r := range iv.runBatch(ctx, log, items) {
		if r {
			return asyncAnswer{errType: "lambdagrpc.RecordFailed", errMsg: "the call of " + items[i].rec.Source + " record " + items[i].rec.ID + " failed with a retryable status (see the function's log); Lambda retries the invocation"}
		}
	}
	return asyncAnswer{body: []byte("{}")}
}
