package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSMapping is a local event-source mapping: it polls an SQS queue (on
// AWS or an SQS-compatible server) and invokes the function with batches of
// its messages, as Lambda's SQS event-source mapping does. See
// docs/emulator.md.
type SQSMapping struct {
	// QueueURL is the queue's URL, or its ARN or name, which the mapping
	// resolves to a URL with GetQueueUrl when it starts.
	QueueURL string
	// Endpoint is the SQS endpoint. Default: the queue URL's scheme and
	// host when it is not an AWS host (a local server), else the region's.
	Endpoint string
	// BatchSize is the most messages an invocation gets. Default 10;
	// 1 to 10000, and above 10 only with a BatchingWindow, as Lambda
	// requires.
	BatchSize int
	// BatchingWindow is how long the mapping gathers messages for a batch
	// before it invokes the function with fewer than BatchSize. Default 0:
	// the messages one receive returns. At most 5 minutes.
	BatchingWindow time.Duration
	// ReportBatchItemFailures reads the function's response as a
	// batchItemFailures list: only the messages it names stay on the queue.
	ReportBatchItemFailures bool
	// Client is the SQS client to poll with. Default: one from the default
	// AWS configuration, the function's Region and Endpoint, with static
	// placeholder credentials when none are configured and the endpoint is
	// local.
	Client *sqs.Client
}

// check reports a mapping's mistakes and fills its defaults.
func (m *SQSMapping) check() error {
	var u *url.URL
	switch {
	case strings.HasPrefix(m.QueueURL, "arn:"):
		if a, err := arn.Parse(m.QueueURL); err != nil || a.Service != "sqs" || a.Resource == "" {
			return fmt.Errorf("emulator: SQS queue %q is not an SQS queue ARN: use arn:aws:sqs:REGION:ACCOUNT:NAME", m.QueueURL)
		}
	case strings.Contains(m.QueueURL, "://"):
		var err error
		u, err = url.Parse(m.QueueURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || strings.Trim(u.Path, "/") == "" {
			return fmt.Errorf("emulator: SQS queue %q is not a queue URL: use http(s)://HOST/ACCOUNT/NAME", m.QueueURL)
		}
	case !validQueueName(m.QueueURL):
		return fmt.Errorf("emulator: SQS queue %q is neither a queue URL, an ARN nor a queue name (1 to 80 letters, digits, '-' and '_', then .fifo for a FIFO queue)", m.QueueURL)
	}
	if m.BatchSize == 0 {
		m.BatchSize = 10
	}
	if m.BatchSize < 1 || m.BatchSize > 10000 {
		return fmt.Errorf("emulator: SQS queue %s: batch size %d: give 1 to 10000", m.QueueURL, m.BatchSize)
	}
	if m.BatchingWindow < 0 || m.BatchingWindow > 5*time.Minute {
		return fmt.Errorf("emulator: SQS queue %s: batching window %s: give 0 to 5m", m.QueueURL, m.BatchingWindow)
	}
	if m.BatchSize > 10 && m.BatchingWindow < time.Second {
		return fmt.Errorf("emulator: SQS queue %s: a batch size of %d needs a batching window of at least 1s, as Lambda requires", m.QueueURL, m.BatchSize)
	}
	if m.Endpoint == "" && u != nil && !awsHost(u.Host) {
		m.Endpoint = u.Scheme + "://" + u.Host
	}
	return nil
}

// localEndpoint tells whether endpoint is a URL whose host is not AWS's.
func localEndpoint(endpoint string) bool {
	u, err := url.Parse(endpoint)
	return err == nil && u.Host != "" && !awsHost(u.Host)
}

// validQueueName tells whether s is an SQS queue name.
func validQueueName(s string) bool {
	base := strings.TrimSuffix(s, ".fifo")
	if base == "" || len(s) > 80 {
		return false
	}
	for _, c := range base {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// awsHost tells whether host is one of AWS's.
func awsHost(host string) bool {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") || strings.HasSuffix(h, ".api.aws")
}

// sqsPoller runs one SQSMapping.
type sqsPoller struct {
	m      SQSMapping
	e      *Emulator
	c      *sqs.Client
	log    *slog.Logger
	arn    string
	region string
	// maxReceive and dlqARN are the queue's RedrivePolicy, if any.
	maxReceive int
	dlqARN     string
	dlqURL     string
	// idle closes the idle connections of a client the poller made.
	idle func()
}

// pollers is the emulator's running mappings.
type pollers struct {
	ps     []*sqsPoller
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSQS starts the configured mappings. It reads each queue's
// attributes first, so a missing queue or an unreachable server is an
// error of Start.
func (e *Emulator) startSQS(ctx context.Context) error {
	if len(e.cfg.SQS) == 0 {
		return nil
	}
	var ps []*sqsPoller
	for i, m := range e.cfg.SQS {
		p, err := newSQSPoller(ctx, e, m)
		if err != nil {
			for _, p := range ps {
				if p.idle != nil {
					p.idle()
				}
			}
			return err
		}
		e.cfg.SQS[i].QueueURL = p.m.QueueURL
		ps = append(ps, p)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e.sqs = &pollers{ps: ps, cancel: cancel}
	for _, p := range ps {
		e.sqs.wg.Add(1)
		go func() {
			defer e.sqs.wg.Done()
			p.run(runCtx)
		}()
	}
	return nil
}

// stopSQS stops the mappings and waits for them: a batch in flight is
// left to the queue's visibility timeout.
func (e *Emulator) stopSQS() {
	if e.sqs != nil {
		e.sqs.cancel()
		e.sqs.wg.Wait()
		for _, p := range e.sqs.ps {
			if p.idle != nil {
				p.idle()
			}
		}
	}
}

func newSQSPoller(ctx context.Context, e *Emulator, m SQSMapping) (*sqsPoller, error) {
	p := &sqsPoller{m: m, e: e, c: m.Client, log: e.cfg.Logger.With("queue", m.QueueURL)}
	if p.c == nil {
		// The SDK's own buildable client (which takes a configured CA
		// bundle), whose transport is kept to close its idle connections.
		var tr atomic.Pointer[http.Transport]
		hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { tr.Store(t) })
		p.idle = func() {
			if t := tr.Load(); t != nil {
				t.CloseIdleConnections()
			}
		}
		opts := []func(*config.LoadOptions) error{config.WithRegion(e.cfg.Region), config.WithHTTPClient(hc)}
		if localEndpoint(m.Endpoint) {
			// A local server: no instance metadata to wait for.
			opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("emulator: SQS queue %s: load the AWS configuration: %w", m.QueueURL, err)
		}
		if localEndpoint(m.Endpoint) {
			if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
				cfg.Credentials = credentials.NewStaticCredentialsProvider("lambdagrpc", "emulator", "")
			}
		}
		p.c = sqs.NewFromConfig(cfg, func(o *sqs.Options) {
			if m.Endpoint != "" {
				o.BaseEndpoint = aws.String(m.Endpoint)
			}
		})
	}
	if !strings.Contains(m.QueueURL, "://") {
		in := &sqs.GetQueueUrlInput{QueueName: aws.String(m.QueueURL)}
		if a, err := arn.Parse(m.QueueURL); err == nil {
			in.QueueName, in.QueueOwnerAWSAccountId = aws.String(a.Resource), aws.String(a.AccountID)
		}
		out, err := p.c.GetQueueUrl(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("emulator: SQS queue %s: %w", m.QueueURL, err)
		}
		p.m.QueueURL = aws.ToString(out.QueueUrl)
		m.QueueURL = p.m.QueueURL
		p.log = e.cfg.Logger.With("queue", m.QueueURL)
	}
	out, err := p.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(m.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn, types.QueueAttributeNameRedrivePolicy, types.QueueAttributeNameVisibilityTimeout}})
	if err != nil {
		return nil, fmt.Errorf("emulator: SQS queue %s: %w", m.QueueURL, err)
	}
	p.arn = out.Attributes[string(types.QueueAttributeNameQueueArn)]
	p.region = e.cfg.Region
	if a, err := arn.Parse(p.arn); err == nil && a.Region != "" {
		p.region = a.Region
	}
	if rp := out.Attributes[string(types.QueueAttributeNameRedrivePolicy)]; rp != "" {
		if p.dlqARN, p.maxReceive, err = parseRedrivePolicy(rp); err != nil {
			return nil, fmt.Errorf("emulator: SQS queue %s: %w", m.QueueURL, err)
		}
	}
	if vt, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)]); err == nil && time.Duration(vt)*time.Second < e.cfg.Timeout+m.BatchingWindow {
		p.log.Warn("the queue's visibility timeout is shorter than the function timeout plus the batching window: a message may be delivered again while a batch still holds it (Lambda requires at least the function timeout)",
			"visibilityTimeout", time.Duration(vt)*time.Second, "timeout", e.cfg.Timeout, "batchingWindow", m.BatchingWindow)
	}
	return p, nil
}

// parseRedrivePolicy reads a queue's RedrivePolicy attribute, whose
// maxReceiveCount is a number or a string holding one.
func parseRedrivePolicy(s string) (dlqARN string, maxReceive int, err error) {
	var rp struct {
		DeadLetterTargetARN string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(s), &rp); err != nil {
		return "", 0, fmt.Errorf("RedrivePolicy %s: %w", s, err)
	}
	n, err := strconv.Atoi(strings.Trim(string(rp.MaxReceiveCount), `"`))
	if err != nil || n < 1 || rp.DeadLetterTargetARN == "" {
		return "", 0, fmt.Errorf("RedrivePolicy %s: want a deadLetterTargetArn and a maxReceiveCount of at least 1", s)
	}
	return rp.DeadLetterTargetARN, n, nil
}

// run polls until ctx ends.
func (p *sqsPoller) run(ctx context.Context) {
	for ctx.Err() == nil {
		batch, err := p.gather(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.log.Warn("SQS ReceiveMessage failed; retrying in 1s", "err", err)
			sleepCtx(ctx, time.Second)
		}
		if batch = p.redrive(ctx, batch); len(batch) > 0 {
			p.deliver(ctx, batch)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// receive asks for up to n messages, waiting up to wait for the first.
func (p *sqsPoller) receive(ctx context.Context, n int, wait time.Duration) ([]types.Message, error) {
	out, err := p.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(p.m.QueueURL),
		MaxNumberOfMessages:         int32(min(n, 10)),
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		return nil, err
	}
	return out.Messages, nil
}

// longPoll is how long one ReceiveMessage waits for a first message: SQS's
// longest long poll.
const longPoll = 20 * time.Second

// gather long-polls for messages, then, within the batching window, keeps
// receiving until the batch is full.
func (p *sqsPoller) gather(ctx context.Context) ([]types.Message, error) {
	batch, err := p.receive(ctx, p.m.BatchSize, longPoll)
	if err != nil || len(batch) == 0 {
		return nil, err
	}
	deadline := time.Now().Add(p.m.BatchingWindow)
	for len(batch) < p.m.BatchSize {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		more, ok := p.receiveMore(ctx, p.m.BatchSize-len(batch), left)
		if !ok {
			break
		}
		batch = merge(batch, more)
		if len(more) == 0 && left < time.Second {
			sleepCtx(ctx, min(left, 100*time.Millisecond))
		}
	}
	return batch, nil
}

// receiveMore is receive within the batching window: on an error, what
// was gathered is delivered, and the next poll reports the error if it
// persists.
func (p *sqsPoller) receiveMore(ctx context.Context, n int, wait time.Duration) ([]types.Message, bool) {
	more, err := p.receive(ctx, n, wait)
	if err != nil {
		p.log.Debug("SQS ReceiveMessage failed while gathering a batch", "err", err)
		return nil, false
	}
	return more, true
}

// merge adds more to batch. A message received again (its visibility
// timeout ended while the batch was gathered) replaces its earlier copy,
// whose receipt handle is stale.
func merge(batch, more []types.Message) []types.Message {
	for _, m := range more {
		i := slices.IndexFunc(batch, func(b types.Message) bool { return aws.ToString(b.MessageId) == aws.ToString(m.MessageId) })
		if i >= 0 {
			batch[i] = m
			continue
		}
		batch = append(batch, m)
	}
	return batch
}

// redrive moves to the dead-letter queue the messages received more often
// than the RedrivePolicy's maxReceiveCount and returns the others. A
// server that honours RedrivePolicy itself never hands such a message out;
// this covers one that does not.
func (p *sqsPoller) redrive(ctx context.Context, batch []types.Message) []types.Message {
	if p.maxReceive == 0 || len(batch) == 0 {
		return batch
	}
	keep := batch[:0:0]
	for _, m := range batch {
		n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		if err != nil || n <= p.maxReceive {
			keep = append(keep, m)
			continue
		}
		if err := p.toDLQ(ctx, m); err != nil {
			p.log.Warn("moving a message to the dead-letter queue failed; it stays on the queue", "messageId", aws.ToString(m.MessageId), "err", err)
			continue
		}
		p.log.Info("moved a message to the dead-letter queue", "messageId", aws.ToString(m.MessageId), "receiveCount", n, "deadLetterQueue", p.dlqARN)
	}
	return keep
}

func (p *sqsPoller) toDLQ(ctx context.Context, m types.Message) error {
	if p.dlqURL == "" {
		a, err := arn.Parse(p.dlqARN)
		if err != nil {
			return fmt.Errorf("deadLetterTargetArn %q: %w", p.dlqARN, err)
		}
		out, err := p.c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(a.Resource), QueueOwnerAWSAccountId: aws.String(a.AccountID)})
		if err != nil {
			return err
		}
		p.dlqURL = aws.ToString(out.QueueUrl)
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(p.dlqURL), MessageBody: m.Body, MessageAttributes: m.MessageAttributes}
	if g := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]; g != "" {
		in.MessageGroupId = aws.String(g)
		in.MessageDeduplicationId = m.MessageId
	}
	if _, err := p.c.SendMessage(ctx, in); err != nil {
		return err
	}
	_, err := p.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(p.m.QueueURL), ReceiptHandle: m.ReceiptHandle})
	return err
}

// deliver invokes the function with a batch and deletes the messages it
// handled: all on success, all but the reported failures with
// ReportBatchItemFailures, none on a function error. Messages not deleted
// become visible again when their visibility timeout ends.
func (p *sqsPoller) deliver(ctx context.Context, batch []types.Message) {
	payload, err := sqsEventJSON(batch, p.arn, p.region)
	if err != nil {
		p.log.Error("building the SQS event failed", "err", err)
		return
	}
	inv, err := p.e.rt.invoke(payload, newTrace("").runtime(), invokeOptions{})
	if err != nil {
		p.log.Warn("the invocation was throttled; the batch returns to the queue after its visibility timeout", "messages", len(batch), "err", err)
		return
	}
	select {
	case <-inv.done:
	case <-ctx.Done():
		return
	}
	o := inv.result
	if o.errType != "" {
		p.log.Warn("the function failed the batch; its messages return to the queue after their visibility timeout", "messages", len(batch), "errorType", o.errType, "error", string(o.errBody))
		return
	}
	remove := batch
	if p.m.ReportBatchItemFailures {
		ids := make(map[string]bool, len(batch))
		for _, m := range batch {
			ids[aws.ToString(m.MessageId)] = true
		}
		failed, err := failedItems(o.body, ids)
		if err != nil {
			p.log.Warn("the function's batch response fails the whole batch", "messages", len(batch), "err", err)
			return
		}
		if len(failed) > 0 {
			remove = make([]types.Message, 0, len(batch))
			for _, m := range batch {
				if !failed[aws.ToString(m.MessageId)] {
					remove = append(remove, m)
				}
			}
			p.log.Info("the function reported failed messages; they return to the queue after their visibility timeout", "failed", len(failed), "messages", len(batch))
		}
	}
	p.delete(ctx, remove)
}

// delete deletes messages, ten a request.
func (p *sqsPoller) delete(ctx context.Context, msgs []types.Message) {
	for len(msgs) > 0 {
		n := min(len(msgs), 10)
		entries := make([]types.DeleteMessageBatchRequestEntry, n)
		for i, m := range msgs[:n] {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		out, err := p.c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.m.QueueURL), Entries: entries})
		switch {
		case err != nil:
			p.log.Warn("deleting handled messages failed; they will be delivered again", "messages", n, "err", err)
		case len(out.Failed) > 0:
			p.log.Warn("deleting some handled messages failed; they will be delivered again", "failed", len(out.Failed), "first", aws.ToString(out.Failed[0].Message))
		}
		msgs = msgs[n:]
	}
}
