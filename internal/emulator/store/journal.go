package store

import (
	"context"
	"errors"
	"sync"
)

// Journal records what the transactions run under a context changed, so a
// group of them (a /composite request with allOrNone) can be undone after
// each has committed on its own.
type Journal struct {
	mu      sync.Mutex
	entries []JournalEntry
}

// JournalEntry is one record as it was before a change: Before is nil when
// the change created it.
type JournalEntry struct {
	ID     string
	Object string
	Before Record
}

type journalKey struct{}

// WithJournal returns a context whose writes are recorded in j; a nil j
// stops the recording (for the writes that undo a journal).
func WithJournal(ctx context.Context, j *Journal) context.Context {
	return context.WithValue(ctx, journalKey{}, j)
}

func journalFrom(ctx context.Context) *Journal {
	j, _ := ctx.Value(journalKey{}).(*Journal)
	return j
}

// Entries returns the changes recorded so far, oldest first.
func (j *Journal) Entries() []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]JournalEntry(nil), j.entries...)
}

func (j *Journal) add(e JournalEntry) {
	j.mu.Lock()
	j.entries = append(j.entries, e)
	j.mu.Unlock()
}

// remember records the current state of id before tx changes it.
func (tx *Tx) remember(ctx context.Context, id string, creating bool, object string) error {
	j := journalFrom(ctx)
	if j == nil {
		return nil
	}
	if creating {
		j.add(JournalEntry{ID: id, Object: object})
		return nil
	}
	rec, obj, err := tx.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	j.add(JournalEntry{ID: id, Object: obj, Before: rec})
	return nil
}
