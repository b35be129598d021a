package main

import (
	"testing"
	"time"
)

// TestParseSQSQueue: a queue URL alone, with settings, and mistakes.
func TestParseSQSQueue(t *testing.T) {
	m, err := parseSQSQueue("http://127.0.0.1:9324/000000000000/orders")
	if err != nil || m.QueueURL != "http://127.0.0.1:9324/000000000000/orders" || m.BatchSize != 0 || !m.ReportBatchItemFailures || m.BatchingWindow != 0 {
		t.Errorf("plain URL: %+v %v", m, err)
	}
	m, err = parseSQSQueue("https://sqs.eu-west-1.amazonaws.com/1/q?batchSize=50&window=2&reportBatchItemFailures=false&endpoint=http://h:1")
	if err != nil || m.BatchSize != 50 || m.BatchingWindow != 2*time.Second || m.ReportBatchItemFailures || m.Endpoint != "http://h:1" {
		t.Errorf("settings: %+v %v", m, err)
	}
	m, err = parseSQSQueue("orders?endpoint=http://127.0.0.1:5000")
	if err != nil || m.QueueURL != "orders" || m.Endpoint != "http://127.0.0.1:5000" {
		t.Errorf("a queue name: %+v %v", m, err)
	}
	m, err = parseSQSQueue("http://h/1/q?window=1.5s")
	if err != nil || m.BatchingWindow != 1500*time.Millisecond {
		t.Errorf("window duration: %+v %v", m, err)
	}
	for _, bad := range []string{"", "?batchSize=1", "ftp://h/1/q", "http://h/1/q?batchSize=x", "http://h/1/q?window=soon", "http://h/1/q?reportBatchItemFailures=maybe", "http://h/1/q?size=1", "http://h/1/q?%zz"} {
		if _, err := parseSQSQueue(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzParseSQSQueue: any flag value is read or refused, never a panic.
func FuzzParseSQSQueue(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:9324/000000000000/orders", "http://h/1/q?batchSize=50&window=2s", "http://h/1/q?%zz", "?", "http://h/1/q?window=1e300s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m, err := parseSQSQueue(v)
		if err == nil && m.QueueURL == "" {
			t.Fatalf("%q accepted without a queue URL", v)
		}
	})
}
