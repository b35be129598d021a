package async

import "google.golang.org/grpc"

// messageIDOption is the CallOption of MessageID.
type messageIDOption struct {
	grpc.EmptyCallOption
	id *string
}

// MessageID is a call option that stores in *id the ID SQS or SNS gave
// the call's message, once it has accepted it.
func MessageID(id *string) grpc.CallOption {
	return messageIDOption{id: id}
}

// storeMessageID sets the ID of every MessageID option in opts.
func storeMessageID(opts []grpc.CallOption, id string) {
	for _, o := range opts {
		if m, ok := o.(messageIDOption); ok && m.id != nil {
			*m.id = id
		}
	}
}
