package eventsource

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lambdagrpc/lambdagrpc/internal/gopool"
)

// item is one record of a batch, ready to run.
type item struct {
	rec Record
	msg message
	bad *status.Status // why the record cannot be a call, or nil
	raw json.RawMessage
	// rawAt finds raw, when it was not kept.
	rawAt func() json.RawMessage
	// group orders the item after the earlier items of the same group (a
	// FIFO message group); "" runs it on its own.
	group string
}

// runBatch runs the items' calls, at most the configured number at once,
// each FIFO group's in order, and reports which items must be delivered
// again. Within a group, once an item must be delivered again, the items
// after it are not run and must be delivered again too, so that the group
// keeps its order.
func (iv *Invoker) runBatch(ctx context.Context, log *slog.Logger, items []item) (retry []bool) {
	retry = make([]bool, len(items))
	if len(items) == 1 {
		retry[0] = iv.runItem(ctx, log, &items[0])
		return retry
	}
	// Each group is a list of item indexes, in order; an ungrouped item is
	// a group of its own.
	var groups [][]int
	byName := map[string]int{}
	for i := range items {
		g := items[i].group
		if g == "" {
			groups = append(groups, []int{i})
			continue
		}
		if j, ok := byName[g]; ok {
			groups[j] = append(groups[j], i)
			continue
		}
		byName[g] = len(groups)
		groups = append(groups, []int{i})
	}
	sem := make(chan struct{}, iv.Async.concurrency())
	var wg sync.WaitGroup
	for _, g := range groups {
		sem <- struct{}{}
		wg.Add(1)
		gopool.Go(func() {
			defer wg.Done()
			defer func() { <-sem }()
			for k, i := range g {
				if iv.runItem(ctx, log, &items[i]) {
					for _, j := range g[k:] {
						retry[j] = true
					}
					return
				}
			}
		})
	}
	wg.Wait()
	return retry
}

// runItem runs one item's call and settles how it ended; it reports
// whether the item must be delivered again.
func (iv *Invoker) runItem(ctx context.Context, log *slog.Logger, it *item) bool {
	st := it.bad
	if st == nil {
		it.rec.Method = it.msg.method
		cctx := ctx
		if iv.Async.RecordContext != nil {
			cctx = iv.Async.RecordContext(ctx, &it.rec)
		}
		st = iv.call(cctx, log, &it.msg)
	}
	if st.Code() == codes.OK {
		return false
	}
	if it.raw == nil && it.rawAt != nil {
		it.raw = it.rawAt()
	}
	return iv.Async.settle(ctx, log, &it.rec, st, it.raw)
}
