package store

import (
	"fmt"
	"testing"
)

// TestRecordCacheBounds: the record cache holds at most max records (a
// full cache drops about a tenth), holds none when max is 0, and refuses a
// record read before a write.
func TestRecordCacheBounds(t *testing.T) {
	for _, tc := range []struct {
		max, puts, wantMax, wantMin int
	}{
		{max: 0, puts: 5, wantMax: 0, wantMin: 0},
		{max: 1, puts: 5, wantMax: 1, wantMin: 1},
		{max: 10, puts: 10, wantMax: 10, wantMin: 10},
		{max: 10, puts: 11, wantMax: 10, wantMin: 10}, // one dropped, the new one kept
		{max: 100, puts: 101, wantMax: 91, wantMin: 91},
	} {
		t.Run(fmt.Sprintf("max=%d,puts=%d", tc.max, tc.puts), func(t *testing.T) {
			c := newRecCache(tc.max)
			last := ""
			for i := range tc.puts {
				last = fmt.Sprintf("001EMU%09dYBA", i)
				c.put(c.generation(), last, "Account", Record{"Id": last})
			}
			if n := len(c.m); n > tc.wantMax || n < tc.wantMin {
				t.Fatalf("%d records held, want %d to %d", n, tc.wantMin, tc.wantMax)
			}
			got := make([]Record, 1)
			_, ok := c.get(last)
			if hit := c.getMany([]string{last}, got); tc.max > 0 && (!ok || hit != 1 || got[0]["Id"] != last) {
				t.Fatalf("the last record put is not held: %v %d %v", ok, hit, got[0])
			} else if tc.max == 0 && (ok || hit != 0) {
				t.Fatal("a cache of size 0 served a record")
			}
		})
	}
	c := newRecCache(10)
	gen := c.generation()
	c.invalidate("001EMU000000001YBA")
	c.put(gen, "001EMU000000001YBA", "Account", Record{})
	if _, ok := c.get("001EMU000000001YBA"); ok {
		t.Fatal("a record read before a write was kept")
	}
	before := c.generation()
	c.invalidate()
	if c.generation() != before {
		t.Fatal("invalidate without ids moved the generation")
	}
}

// TestObjectIDListBounds: id lists are kept up to maxIDs ids over all
// objects; a list over the bound is not kept, one that would pass it
// clears the others first; a list read before an insert is refused.
func TestObjectIDListBounds(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint(i)
		}
		return out
	}
	c := newRecCache(10)
	c.maxIDs = 10
	c.putObjectIDs(c.generation(), "A", ids(6))
	c.putObjectIDs(c.generation(), "B", ids(4))
	if _, ok := c.objectIDs("A"); !ok || c.nIDs != 10 {
		t.Fatalf("A and B (10 ids) not both kept: %d", c.nIDs)
	}
	c.putObjectIDs(c.generation(), "C", ids(11))
	if _, ok := c.objectIDs("C"); ok {
		t.Fatal("a list over the bound was kept")
	}
	c.putObjectIDs(c.generation(), "C", ids(1))
	_, okA := c.objectIDs("A")
	_, okC := c.objectIDs("C")
	if okA || !okC || c.nIDs != 1 {
		t.Fatalf("C (1 id) past the bound: A kept %v, C kept %v, %d ids", okA, okC, c.nIDs)
	}
	c.putObjectIDs(c.generation(), "E", ids(10)) // exactly the bound
	if _, ok := c.objectIDs("E"); !ok || c.nIDs != 10 {
		t.Fatalf("a list of exactly maxIDs not kept: %d ids", c.nIDs)
	}
	c.putObjectIDs(c.generation(), "C", ids(3)) // replaces the lists
	if got, _ := c.objectIDs("C"); len(got) != 3 || c.nIDs != 3 {
		t.Fatalf("C replaced: %d ids, %d counted", len(got), c.nIDs)
	}
	gen := c.generation()
	c.invalidateObject("D")
	c.putObjectIDs(gen, "D", ids(2))
	if _, ok := c.objectIDs("D"); ok {
		t.Fatal("a list read before an insert was kept")
	}
	c.invalidateObject("C")
	if _, ok := c.objectIDs("C"); ok || c.nIDs != 0 {
		t.Fatalf("C dropped: %d ids counted", c.nIDs)
	}
}

// testBlock is a held block of n records of size bytes each, from id seq.
func testBlock(t *testing.T, first int64, seq, n, size int) heldBlock {
	t.Helper()
	recs := make([]EncodedRecord, n)
	for i := range recs {
		recs[i] = EncodedRecord{ID: fmt.Sprintf("001EMU%09dYBA", seq+i), Data: make([]byte, size)}
	}
	b, err := parseBlock(appendBlock(nil, recs), n)
	if err != nil {
		t.Fatal(err)
	}
	return heldBlock{first: first, object: "Account", lo: recs[0].ID, hi: recs[n-1].ID, b: b}
}

// TestBlockCacheBounds: the block cache finds a block by any id of its
// range, ends included; keeps at most maxBlocks blocks and maxBlockBytes
// bytes, dropping the oldest; counts its bytes exactly; refuses a block
// read before a write; and forgets a block that became rows.
func TestBlockCacheBounds(t *testing.T) {
	c := newRecCache(10)
	b0 := testBlock(t, 1, 0, 3, 10)
	c.putBlock(c.generation(), b0)
	for _, id := range []string{b0.lo, "001EMU000000001YBA", b0.hi} {
		if got, ok := c.blockFor(id); !ok || got.first != 1 {
			t.Errorf("blockFor(%s): %v", id, ok)
		}
	}
	for _, id := range []string{"001EMU000000003YBA", "001EMT999999999YBA"} {
		if _, ok := c.blockFor(id); ok {
			t.Errorf("blockFor(%s) outside the range found a block", id)
		}
	}
	c.putBlock(c.generation(), b0) // again: kept once
	if len(c.blocks) != 1 || c.blockBytes != len(b0.b.hdr)+len(b0.b.body) {
		t.Fatalf("%d blocks, %d bytes after putting one twice", len(c.blocks), c.blockBytes)
	}
	size := len(b0.b.hdr) + len(b0.b.body)
	for i := 1; i <= maxBlocks+4; i++ {
		c.putBlock(c.generation(), testBlock(t, int64(1+10*i), 10*i, 3, 10))
	}
	if len(c.blocks) != maxBlocks || c.blockBytes != maxBlocks*size {
		t.Fatalf("%d blocks, %d bytes; want %d, %d", len(c.blocks), c.blockBytes, maxBlocks, maxBlocks*size)
	}
	if _, ok := c.blockFor(b0.lo); ok {
		t.Fatal("the oldest block was kept past the bound")
	}
	newest := c.blocks[len(c.blocks)-1]
	if got, ok := c.blockFor(newest.lo); !ok || got.first != newest.first {
		t.Fatal("the newest block is not held")
	}
	// Bytes: a block over the bound alone is not kept; large ones push
	// out the oldest.
	c.putBlock(c.generation(), testBlock(t, 9000, 90000, 2, maxBlockBytes/2+1))
	if _, ok := c.blockFor("001EMU000090000YBA"); ok {
		t.Fatal("a block over the byte bound was kept")
	}
	big := testBlock(t, 9100, 91000, 1, maxBlockBytes/2)
	c.putBlock(c.generation(), big)
	c.putBlock(c.generation(), testBlock(t, 9200, 92000, 1, maxBlockBytes/2))
	if c.blockBytes > maxBlockBytes {
		t.Fatalf("%d bytes held, bound %d", c.blockBytes, maxBlockBytes)
	}
	if _, ok := c.blockFor(big.lo); ok {
		t.Fatal("the older large block was kept past the byte bound")
	}
	sum := 0
	for _, b := range c.blocks {
		sum += len(b.b.hdr) + len(b.b.body)
	}
	if sum != c.blockBytes {
		t.Fatalf("counted %d bytes, holds %d", c.blockBytes, sum)
	}
	// A block read before a write is refused; a dropped one is gone and
	// its bytes uncounted.
	gen := c.generation()
	c.dropBlock(9200)
	if _, ok := c.blockFor("001EMU000092000YBA"); ok || c.blockBytes != sum-(len(big.b.hdr)+len(big.b.body)) {
		t.Fatalf("after dropBlock: %d bytes", c.blockBytes)
	}
	c.putBlock(gen, testBlock(t, 9300, 93000, 1, 10))
	if _, ok := c.blockFor("001EMU000093000YBA"); ok {
		t.Fatal("a block read before a write was kept")
	}
	// Exactly the byte bound is kept: one block of it, then two halves.
	exact := testBlock(t, 9400, 94000, 1, maxBlockBytes-blockEntry)
	c.putBlock(c.generation(), exact)
	if got, ok := c.blockFor(exact.lo); !ok || got.first != 9400 || c.blockBytes != maxBlockBytes {
		t.Fatalf("a block of exactly %d bytes: kept %v, %d bytes counted", maxBlockBytes, ok, c.blockBytes)
	}
	half1 := testBlock(t, 9500, 95000, 1, maxBlockBytes/2-blockEntry)
	half2 := testBlock(t, 9600, 96000, 1, maxBlockBytes/2-blockEntry)
	c.putBlock(c.generation(), half1)
	c.putBlock(c.generation(), half2)
	_, ok1 := c.blockFor(half1.lo)
	_, ok2 := c.blockFor(half2.lo)
	if !ok1 || !ok2 || c.blockBytes != maxBlockBytes {
		t.Fatalf("two halves of the bound: kept %v %v, %d bytes", ok1, ok2, c.blockBytes)
	}
	c.clear()
	if len(c.blocks) != 0 || c.blockBytes != 0 {
		t.Fatal("clear kept blocks")
	}
}
