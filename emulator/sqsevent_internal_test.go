package emulator

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestFailedItems: a batch response is read as Lambda reads it.
func TestFailedItems(t *testing.T) {
	ids := map[string]bool{"m1": true, "m2": true}
	for _, c := range []struct {
		body   string
		failed []string
		whole  bool
	}{
		{body: ``},
		{body: `null`},
		{body: `{}`},
		{body: `{"batchItemFailures":null}`},
		{body: `{"batchItemFailures":[]}`},
		{body: `{"batchItemFailures":[{"itemIdentifier":"m2"}]}`, failed: []string{"m2"}},
		{body: ` {"batchItemFailures":[{"itemIdentifier":"m1"},{"itemIdentifier":"m2"}]} `, failed: []string{"m1", "m2"}},
		{body: `{"batchItemFailures":[{"itemIdentifier":""}]}`, whole: true},
		{body: `{"batchItemFailures":[{"itemIdentifier":null}]}`, whole: true},
		{body: `{"batchItemFailures":[{"itemidentifer":"m1"}]}`, whole: true},
		{body: `{"batchItemFailures":[{"itemIdentifier":"m3"}]}`, whole: true},
		{body: `"ok"`, whole: true},
		{body: `{"batchItemFailures":`, whole: true},
	} {
		failed, err := failedItems([]byte(c.body), ids)
		if c.whole {
			if !errors.Is(err, errBatchFailed) {
				t.Errorf("%s: err %v, want the whole batch failed", c.body, err)
			}
			continue
		}
		if err != nil || len(failed) != len(c.failed) {
			t.Errorf("%s: failed %v, %v; want %v", c.body, failed, err, c.failed)
			continue
		}
		for _, id := range c.failed {
			if !failed[id] {
				t.Errorf("%s: %s not reported failed", c.body, id)
			}
		}
	}
}

// FuzzFailedItems: any response is read without a panic, and the failures
// it reports are messages of the batch.
func FuzzFailedItems(f *testing.F) {
	for _, s := range []string{``, `null`, `{}`, `{"batchItemFailures":[{"itemIdentifier":"m1"}]}`, `{"batchItemFailures":[{"itemIdentifier":""}]}`, `[1]`, `{"batchItemFailures":{}}`} {
		f.Add([]byte(s))
	}
	ids := map[string]bool{"m1": true, "m2": true}
	f.Fuzz(func(t *testing.T, body []byte) {
		failed, err := failedItems(body, ids)
		if err != nil && !errors.Is(err, errBatchFailed) {
			t.Fatalf("error %v is not errBatchFailed", err)
		}
		for id := range failed {
			if !ids[id] {
				t.Fatalf("reported %q, no message of the batch", id)
			}
		}
	})
}

// TestMerge: a message received twice while a batch is gathered is in it
// once, with its latest receipt handle.
func TestMerge(t *testing.T) {
	msg := func(id, rh string) types.Message {
		return types.Message{MessageId: aws.String(id), ReceiptHandle: aws.String(rh)}
	}
	got := merge([]types.Message{msg("a", "1"), msg("b", "1")}, []types.Message{msg("b", "2"), msg("c", "1")})
	if len(got) != 3 || aws.ToString(got[1].ReceiptHandle) != "2" || aws.ToString(got[2].MessageId) != "c" {
		t.Errorf("merge = %+v", got)
	}
}

// TestParseRedrivePolicy: maxReceiveCount is read as a number or a string.
func TestParseRedrivePolicy(t *testing.T) {
	for _, s := range []string{`{"deadLetterTargetArn":"arn:aws:sqs:r:1:d","maxReceiveCount":2}`, `{"deadLetterTargetArn":"arn:aws:sqs:r:1:d","maxReceiveCount":"2"}`} {
		arn, n, err := parseRedrivePolicy(s)
		if err != nil || arn != "arn:aws:sqs:r:1:d" || n != 2 {
			t.Errorf("%s: %s %d %v", s, arn, n, err)
		}
	}
	for _, s := range []string{`{}`, `{"deadLetterTargetArn":"x","maxReceiveCount":0}`, `{"maxReceiveCount":3}`, `nope`} {
		if _, _, err := parseRedrivePolicy(s); err == nil {
			t.Errorf("%s: no error", s)
		}
	}
}

// TestLocalEndpoint: only a URL with a host outside AWS is local.
func TestLocalEndpoint(t *testing.T) {
	for ep, want := range map[string]bool{
		"http://127.0.0.1:5000":                   true,
		"http://localhost:9324":                   true,
		"https://sqs.us-east-1.amazonaws.com":     false,
		"https://sqs.cn-north-1.amazonaws.com.cn": false,
		"":               false,
		"127.0.0.1:5000": false,
	} {
		if got := localEndpoint(ep); got != want {
			t.Errorf("localEndpoint(%q) = %t, want %t", ep, got, want)
		}
	}
}
