// Package eventseeds is the seed corpus of the fuzz targets that take a
// Lambda event: the captured fixtures, and the shapes of event that have
// broken the decoder or the router before.
package eventseeds

import (
	"os"
	"path/filepath"
	"testing"
)

// Add adds the seeds from Load to f's corpus.
func Add(f *testing.F, dir string) {
	seeds, err := Load(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range seeds {
		f.Add(b)
	}
}

// Load returns the seeds: each file in dir (the repository's
// testdata/events), then the shapes that broke something once.
func Load(dir string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var seeds [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		seeds = append(seeds, b)
	}
	seeds = append(seeds,
		[]byte(`{"version":"2.0","requestContext":{"http":{"method":"GET"}},"rawPath":"/a/b","rawQueryString":"message=%zz"}`),
		[]byte(`{"httpMethod":"POST","path":"//x","body":"AAAA","isBase64Encoded":true,"multiValueHeaders":{"content-type":["application/connect+json"]}}`),
	)
	// Routing bypass attempts: segments before the method, an escaped
	// separator, dot segments, a stage where the event says none is.
	for _, p := range []string{"/public/x/grpc.testing.TestService/UnaryCall", "/grpc.testing.TestService%2FUnaryCall", "/./grpc.testing.TestService/UnaryCall", "/x/../grpc.testing.TestService/UnaryCall"} {
		seeds = append(seeds, []byte(`{"version":"2.0","rawPath":"`+p+`","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST"}},"body":"{}"}`))
	}
	return append(seeds,
		[]byte(`{"version":"2.0","rawPath":"/prod/grpc.testing.TestService/UnaryCall","headers":{"content-type":"application/json"},"requestContext":{"apiId":"a","domainName":"a.execute-api.us-east-1.amazonaws.com","stage":"prod","http":{"method":"POST"}},"body":"{}"}`),
		[]byte(`{"httpMethod":"POST","path":"/prod/grpc.testing.TestService/UnaryCall","headers":{"content-type":"application/json"},"requestContext":{"apiId":"a","domainName":"a.execute-api.us-east-1.amazonaws.com","stage":"prod","path":"/prod/prod/grpc.testing.TestService/UnaryCall"},"body":"{}"}`),
	), nil
}

// AddAsync adds the seeds from LoadAsync to f's corpus.
func AddAsync(f *testing.F, dir string) {
	seeds, err := LoadAsync(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range seeds {
		f.Add(b)
	}
}

// LoadAsync returns the seeds of the SQS, SNS and EventBridge decoders:
// each file in dir (the repository's testdata/async), then records whose
// attributes, bodies or shapes must fail alone.
func LoadAsync(dir string) ([][]byte, error) {
	seeds, err := Load(dir)
	if err != nil {
		return nil, err
	}
	// Load's own shapes are HTTP events: keep only the files.
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	seeds = seeds[:len(files)]
	return append(seeds,
		[]byte(`{"Records":[{"messageId":"1","eventSource":"aws:sqs","body":"!!","messageAttributes":{"content-type":{"stringValue":"application/proto","dataType":"String"},"grpc-method":{"stringValue":"/a.B/C","dataType":"String"}}}]}`),
		[]byte(`{"Records":[{"messageId":"1","eventSource":"aws:sqs","body":"{}","messageAttributes":{"x":{"dataType":"Binary","binaryValue":"%%"},"Grpc-Method":{"dataType":"Binary","binaryValue":"AA=="}}}]}`),
		[]byte(`{"Records":[{"eventSource":"aws:sqs","body":"{}"},{"messageId":7}]}`),
		[]byte(`{"Records":[{"messageId":"1","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:r:1:q.fifo","attributes":{"MessageGroupId":"g","ApproximateReceiveCount":"x"},"body":"{\"Type\":\"Notification\",\"TopicArn\":\"t\",\"Message\":\"{}\",\"MessageAttributes\":{\"a\":{\"Type\":\"Weird\",\"Value\":\"v\"}}}"}]}`),
		[]byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m","TopicArn":"t","Message":"{}","MessageAttributes":{"grpc-method":{"Type":"String","Value":"/a.B/C"},"x-bin":{"Type":"String","Value":"v"}}}}]}`),
		[]byte(`{"version":"0","id":"e","detail-type":"/a.B/C","source":"s","detail":[1,2]}`),
		[]byte(`{"detail-type":"/a.B//C?x","source":"s","detail":"x"}`),
	), nil
}
