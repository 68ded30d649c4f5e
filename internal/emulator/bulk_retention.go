package emulator

import (
	"context"
	"time"

	"github.com/sfmcp/sfmcp/internal/emulator/store"
)

// bulkRetention is how long Salesforce keeps a bulk job and its data: jobs
// older than 7 days are deleted whatever their state ("Job and Batch
// Lifespan" in the Bulk API guide).
const bulkRetention = 7 * 24 * time.Hour

// jobExpired reports whether j is past the retention on the org's clock.
func (o *Org) jobExpired(j *bulkJob) bool {
	created, err := time.Parse("2006-01-02T15:04:05.000+0000", j.CreatedDate)
	return err == nil && !o.now().Before(created.Add(bulkRetention))
}

// dropExpiredJob deletes an expired job and its data, as Salesforce's
// clean-up does, unless it is still being processed (only a clock moved
// by a test gets there): that one is hidden and left to its runner.
func (o *Org) dropExpiredJob(ctx context.Context, j *bulkJob) {
	if !j.ended() && j.State != stateOpen {
		return
	}
	err := o.store.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error { return tx.DeleteJob(ctx, j.ID) })
	if err != nil {
		o.log.Warn("bulk: could not delete an expired job", "job", j.ID, "err", err)
	}
}
