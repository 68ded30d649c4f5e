package store

import (
	"maps"
	"slices"
	"sync"
)

// DefaultCacheRecords bounds the decoded-record cache: about 50 MB for
// records of 40 short fields, whatever the number of records stored. It
// holds several 2,000-row pages and their parents; at 100,000 records the
// cache alone made a million-row org's emulator pass 600 MB.
const DefaultCacheRecords = 20_000

// recCache keeps decoded records by id, so that reading a record a query
// already read (the next page, a parent lookup, the same query again) costs
// a map lookup instead of a SQLite read and a JSON decode. It holds only
// committed data: writes invalidate their ids at once and again after their
// transaction ends, and a reader stores what it decoded only when no write
// happened since it began reading (gen). Records in the cache are shared and
// never modified; Store.Get hands out copies.
type recCache struct {
	mu  sync.Mutex
	gen uint64
	max int
	m   map[string]cached

	// ids keeps, per object, the ids of all its records (deleted ones too)
	// in insertion order, so that a scan need not read them from SQLite
	// again. Only an insert changes that list (an update keeps the order,
	// a purged id just finds no record), so inserts drop it. At most
	// maxIDs ids are kept over all objects.
	ids    map[string][]string
	nIDs   int
	maxIDs int

	// blocks keeps the blocks read last (see blocks.go), newest last, so
	// that reading the records of one block one by one (a query's page
	// of ids) reads the block from SQLite once, not once a record. At
	// most maxBlocks blocks and maxBlockBytes bytes.
	blocks     []heldBlock
	blockBytes int
}

// The bounds of recCache.blocks: a block holds at most blockRecords
// records, so a few dozen of them cover a 2,000-record page whatever its
// order.
const (
	maxBlocks     = 32
	maxBlockBytes = 16 << 20
)

// DefaultCacheIDs bounds the per-object id lists: about 10 MB.
const DefaultCacheIDs = 250_000

type cached struct {
	object string
	rec    Record
}

func newRecCache(max int) *recCache {
	return &recCache{max: max, m: map[string]cached{}, ids: map[string][]string{}, maxIDs: DefaultCacheIDs}
}

// getMany looks up ids[i] into recs[i] under one lock, leaving misses nil;
// it returns how many it found.
func (c *recCache) getMany(ids []string, recs []Record) int {
	if c.max <= 0 {
		return 0
	}
	n := 0
	c.mu.Lock()
	for i, id := range ids {
		if e, ok := c.m[id]; ok {
			recs[i] = e.rec
			n++
		}
	}
	c.mu.Unlock()
	return n
}

// objectIDs returns object's cached id list (nil when there is none). The
// slice is never modified: a new list replaces it.
func (c *recCache) objectIDs(object string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, ok := c.ids[object]
	return ids, ok
}

// putObjectIDs keeps object's id list read at generation gen, unless a
// write came since or the list would pass the bound.
func (c *recCache) putObjectIDs(gen uint64, object string, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.maxIDs <= 0 || len(ids) > c.maxIDs {
		return
	}
	if old, ok := c.ids[object]; ok {
		c.nIDs -= len(old)
	}
	if c.nIDs+len(ids) > c.maxIDs {
		clear(c.ids)
		c.nIDs = 0
	}
	c.ids[object] = ids
	c.nIDs += len(ids)
}

// invalidateObject drops object's id list: a record of it was inserted.
func (c *recCache) invalidateObject(object string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if old, ok := c.ids[object]; ok {
		c.nIDs -= len(old)
		delete(c.ids, object)
	}
}

func (c *recCache) get(id string) (cached, bool) {
	if c.max <= 0 {
		return cached{}, false
	}
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	return e, ok
}

// generation is read before a read from SQLite and passed to put after it.
func (c *recCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores a record read at generation gen, unless a write came since.
// When full it drops about a tenth of the entries (Go's map order makes
// that an arbitrary tenth): memory stays bounded by max records.
func (c *recCache) put(gen uint64, id, object string, rec Record) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= c.max {
		drop := max(1, c.max/10)
		for k := range c.m {
			delete(c.m, k)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.m[id] = cached{object: object, rec: rec}
}

// invalidate forgets ids and makes every read in flight skip its put.
// Without ids it does nothing: a transaction that wrote no record (a Bulk
// job's state and results) must not stop a scan in flight from caching
// what it read, or the query reading a page of records it just scanned
// reads each of them again.
func (c *recCache) invalidate(ids ...string) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		delete(c.m, id)
	}
}

func (c *recCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
	clear(c.ids)
	c.nIDs = 0
	c.blocks, c.blockBytes = nil, 0
}

// blockFor returns the cached block whose id range holds id.
func (c *recCache) blockFor(id string) (heldBlock, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.blocks) - 1; i >= 0; i-- {
		if b := c.blocks[i]; id >= b.lo && id <= b.hi {
			return b, true
		}
	}
	return heldBlock{}, false
}

// putBlock keeps a block read at generation gen, unless a write came since,
// dropping the oldest beyond the bounds.
func (c *recCache) putBlock(gen uint64, b heldBlock) {
	size := len(b.b.hdr) + len(b.b.body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || size > maxBlockBytes {
		return
	}
	for _, have := range c.blocks {
		if have.first == b.first {
			return
		}
	}
	c.blocks = append(c.blocks, b)
	c.blockBytes += size
	for len(c.blocks) > maxBlocks || c.blockBytes > maxBlockBytes {
		c.blockBytes -= len(c.blocks[0].b.hdr) + len(c.blocks[0].b.body)
		c.blocks = slices.Delete(c.blocks, 0, 1)
	}
}

// dropBlock forgets the block at first (it became rows) and makes every
// read in flight skip its put.
func (c *recCache) dropBlock(first int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.blocks = slices.DeleteFunc(c.blocks, func(b heldBlock) bool {
		if b.first == first {
			c.blockBytes -= len(b.b.hdr) + len(b.b.body)
			return true
		}
		return false
	})
}

func cloneRecord(r Record) Record { return maps.Clone(r) }
