package eventsource

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"

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
//
// The calls run on lanes, as many as the bound allows and the groups can
// fill, one of them the calling goroutine: each lane takes the next group
// that no lane has taken, in the batch's order, and runs its items one
// after another.
func (iv *Invoker) runBatch(ctx context.Context, log *slog.Logger, items []item) (retry []bool) {
	retry = make([]bool, len(items))
	switch len(items) {
	case 0:
		return retry
	case 1:
		retry[0] = iv.runItem(ctx, log, &items[0])
		return retry
	}
	order, starts := groupItems(items)
	b := &batchRun{iv: iv, ctx: ctx, log: log, items: items, order: order, starts: starts, retry: retry}
	lanes := min(iv.Async.concurrency(), len(starts)-1)
	b.wg.Add(lanes - 1)
	for range lanes - 1 {
		gopool.Run(b)
	}
	b.lane()
	b.wg.Wait()
	return retry
}

// batchRun is a batch being run: what its lanes share.
type batchRun struct {
	iv            *Invoker
	ctx           context.Context
	log           *slog.Logger
	items         []item
	order, starts []int // as groupItems returns them
	retry         []bool
	next          atomic.Int64 // the next group no lane has taken
	wg            sync.WaitGroup
}

// Run runs a lane on a goroutine of its own.
func (b *batchRun) Run() {
	defer b.wg.Done()
	b.lane()
}

// lane runs the groups no lane has taken, one after another, until none
// is left.
func (b *batchRun) lane() {
	groups := len(b.starts) - 1
	for {
		g := int(b.next.Add(1) - 1)
		if g >= groups {
			return
		}
		members := b.order[b.starts[g]:b.starts[g+1]]
		for k, i := range members {
			if b.iv.runItem(b.ctx, b.log, &b.items[i]) {
				for _, j := range members[k:] {
					b.retry[j] = true
				}
				break
			}
		}
	}
}

// groupItems orders the items group by group: order lists the items'
// indexes, each group's together and in the batch's order, and group g is
// order[starts[g]:starts[g+1]]. Groups come in the order of their first
// items; an item without a group is a group of its own.
func groupItems(items []item) (order, starts []int) {
	order = make([]int, len(items))
	grouped := false
	for i := range items {
		order[i] = i
		grouped = grouped || items[i].group != ""
	}
	if !grouped {
		starts = make([]int, len(items)+1)
		for i := range starts {
			starts[i] = i
		}
		return order, starts
	}
	// Number the groups, count their items, then place each item after
	// the earlier ones of its group.
	gid := make([]int, len(items))
	byName := map[string]int{}
	n := 0
	for i := range items {
		name := items[i].group
		g, ok := byName[name]
		if name == "" || !ok {
			g = n
			n++
			if name != "" {
				byName[name] = g
			}
		}
		gid[i] = g
	}
	starts = make([]int, n+1)
	for _, g := range gid {
		starts[g+1]++
	}
	for g := range n {
		starts[g+1] += starts[g]
	}
	fill := append([]int(nil), starts[:n]...)
	for i, g := range gid {
		order[fill[g]] = i
		fill[g]++
	}
	return order, starts
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
