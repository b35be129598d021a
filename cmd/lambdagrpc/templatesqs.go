package main

import (
	"fmt"
	"slices"
	"time"
)

// sqsEventProps are the properties of an SQS event the emulator applies.
var sqsEventProps = []string{"Queue", "BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "Enabled"}

// sqsEvent reads a function's SQS event: an event-source mapping polling
// its Queue (an ARN, usually !GetAtt Queue.Arn, or a queue URL).
func (r *resolver) sqsEvent(fn *samFunction, name string, rawProps map[string]any, t *samTemplate) error {
	where := "Events." + name
	unapplied(t, fn.LogicalID+", "+where, rawProps, sqsEventProps)
	props, err := r.resolveProps(fn.LogicalID, rawProps, sqsEventProps...)
	if err != nil {
		return err
	}
	coerceNumber(props, "BatchSize")
	coerceNumber(props, "MaximumBatchingWindowInSeconds")
	var ev struct {
		Queue                          string
		BatchSize                      *int
		MaximumBatchingWindowInSeconds *int
		FunctionResponseTypes          []string
		Enabled                        *bool
	}
	if err := decodeJSON(props, &ev); err != nil {
		return fmt.Errorf("%s: resource %s, property %s: %w", r.file, fn.LogicalID, where, err)
	}
	if ev.Queue == "" {
		return fmt.Errorf("%s: resource %s, property %s: an SQS event needs Queue (a queue ARN, such as !GetAtt MyQueue.Arn)", r.file, fn.LogicalID, where)
	}
	if ev.Enabled != nil && !*ev.Enabled {
		t.Notes = append(t.Notes, fmt.Sprintf("resource %s, %s: Enabled is false: the queue is not polled", fn.LogicalID, where))
		return nil
	}
	q := samQueue{Event: name, Queue: ev.Queue, ReportFailures: slices.Contains(ev.FunctionResponseTypes, "ReportBatchItemFailures")}
	if ev.BatchSize != nil {
		q.BatchSize = *ev.BatchSize
	}
	if ev.MaximumBatchingWindowInSeconds != nil {
		q.Window = time.Duration(*ev.MaximumBatchingWindowInSeconds) * time.Second
	}
	fn.Queues = append(fn.Queues, q)
	return nil
}

// queueName is the name of the template's queue id: its QueueName, else
// its logical id (with .fifo for a FIFO queue), the name to create it
// under on a local SQS-compatible server.
func (r *resolver) queueName(id string) string {
	res := r.resources[id]
	props, err := r.resolveProps(id, res.Properties, "QueueName", "FifoQueue")
	if err == nil {
		if n, ok := props["QueueName"].(string); ok && n != "" {
			return n
		}
		if fifo := props["FifoQueue"]; fifo == true || fifo == "true" {
			return id + ".fifo"
		}
	}
	return id
}
