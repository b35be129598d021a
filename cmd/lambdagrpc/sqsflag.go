package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// sqsFlag collects --sqs-queue values.
type sqsFlag []emulator.SQSMapping

func (f *sqsFlag) String() string {
	urls := make([]string, len(*f))
	for i, m := range *f {
		urls[i] = m.QueueURL
	}
	return strings.Join(urls, ",")
}

func (f *sqsFlag) Set(v string) error {
	m, err := parseSQSQueue(v)
	if err != nil {
		return err
	}
	*f = append(*f, m)
	return nil
}

// sqsQueueHelp is the --sqs-queue flag's usage.
const sqsQueueHelp = "poll the SQS queue at `URL` (or with this ARN or name, resolved on endpoint) and invoke the function with batches of its messages, as Lambda's event-source mapping does (repeatable); settings follow as a query: " +
	"URL?batchSize=10&window=1s&reportBatchItemFailures=true&endpoint=http://127.0.0.1:9324 (batchSize 1 to 10000, default 10; window, the batching window, default 0; " +
	"reportBatchItemFailures, default true; endpoint, default the URL's host unless an AWS one)"

// parseSQSQueue reads an --sqs-queue value: a queue URL (or ARN or name,
// which the emulator resolves on the endpoint), then optionally
// the mapping's settings as a query (batchSize, window, a Go duration or
// seconds, reportBatchItemFailures and endpoint). Unknown settings are
// errors; the values are checked by the emulator.
func parseSQSQueue(v string) (emulator.SQSMapping, error) {
	queue, query, _ := strings.Cut(v, "?")
	m := emulator.SQSMapping{QueueURL: queue, ReportBatchItemFailures: true}
	if queue == "" {
		return m, fmt.Errorf("%q names no queue: give its URL (or its ARN or name, with endpoint=), then settings as ?batchSize=10&window=1s", v)
	}
	if strings.Contains(queue, "://") {
		if u, err := url.Parse(queue); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return m, fmt.Errorf("%q is not a queue URL: give http(s)://HOST/ACCOUNT/NAME, then settings as ?batchSize=10&window=1s", queue)
		}
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return m, fmt.Errorf("%q: the settings after ? are not a query: %w", v, err)
	}
	for key, vs := range vals {
		val := vs[len(vs)-1]
		switch key {
		case "batchSize":
			n, err := strconv.Atoi(val)
			if err != nil {
				return m, fmt.Errorf("%q: batchSize %q is not a number", v, val)
			}
			m.BatchSize = n
		case "window":
			d, err := time.ParseDuration(val)
			if err != nil {
				secs, serr := strconv.Atoi(val)
				if serr != nil {
					return m, fmt.Errorf("%q: window %q is neither a duration (1.5s) nor whole seconds", v, val)
				}
				d = time.Duration(secs) * time.Second
			}
			m.BatchingWindow = d
		case "reportBatchItemFailures":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return m, fmt.Errorf("%q: reportBatchItemFailures %q is not true or false", v, val)
			}
			m.ReportBatchItemFailures = b
		case "endpoint":
			m.Endpoint = val
		default:
			return m, fmt.Errorf("%q: unknown setting %q: use batchSize, window, reportBatchItemFailures or endpoint", v, key)
		}
	}
	return m, nil
}
