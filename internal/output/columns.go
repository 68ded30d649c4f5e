package output

import "strings"

// columns is the header of a record table, learnt from the records themselves.
//
// Salesforce returns the same keys for every record of a query, with one
// exception: a parent relationship that is null in one record ("Account":null)
// is an object in another ("Account":{"Name":"X"} → "Account.Name"). A null
// field cannot be told apart from a null scalar until some record shows it
// non-null, so columns treats every null-only key as a placeholder:
//
//   - when a later record shows "Account.Name", the "Account" placeholder is
//     replaced, in place, by "Account.Name" (and its siblings follow it);
//   - once "Account.Name" is a column, "Account":null just leaves the
//     Account.* cells empty;
//   - a key never seen before is inserted after the previous key of the same
//     record, so the header follows the records' own order.
type columns struct {
	names      []string
	index      map[string]int  // name → position in names
	parents    map[string]bool // every proper prefix ("Account", "Account.Owner") of a column
	unresolved map[string]bool // columns seen only as null: maybe a parent relationship
}

func newColumns(fixed []string) *columns {
	c := &columns{index: map[string]int{}, parents: map[string]bool{}, unresolved: map[string]bool{}}
	for _, n := range fixed {
		c.insert(len(c.names), n)
	}
	return c
}

// sameKeys reports whether the record's keys are exactly the header, in order:
// the common case, which needs no lookups.
func (c *columns) sameKeys(fields []Field) bool {
	if len(fields) != len(c.names) {
		return false
	}
	for i := range fields {
		if fields[i].Key != c.names[i] {
			return false
		}
	}
	return true
}

// learn merges one record's keys into the header.
func (c *columns) learn(fields []Field) {
	if c.sameKeys(fields) {
		for i := range fields {
			if fields[i].Kind != KindNull && len(c.unresolved) > 0 {
				delete(c.unresolved, fields[i].Key)
			}
		}
		return
	}
	last := -1 // position of the previous field's column
	for _, f := range fields {
		if pos, ok := c.index[f.Key]; ok {
			if f.Kind != KindNull {
				delete(c.unresolved, f.Key)
			}
			last = pos
			continue
		}
		if c.parents[f.Key] { // a null parent whose fields are already columns
			last = c.lastUnder(f.Key, last)
			continue
		}
		if pos, ok := c.placeholderFor(f.Key); ok {
			c.remove(pos)
			c.insert(pos, f.Key)
			last = pos
		} else {
			last++
			c.insert(last, f.Key)
		}
		if f.Kind == KindNull {
			c.unresolved[f.Key] = true
		}
	}
}

// placeholderFor finds a column that is a proper prefix of key ("Account" for
// "Account.Name"), meaning it was a null parent until now.
func (c *columns) placeholderFor(key string) (int, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			if pos, ok := c.index[key[:i]]; ok {
				return pos, true
			}
		}
	}
	return 0, false
}

// lastUnder is the position of the last column under prefix, or def.
func (c *columns) lastUnder(prefix string, def int) int {
	p := prefix + "."
	for i := len(c.names) - 1; i >= 0; i-- {
		if strings.HasPrefix(c.names[i], p) {
			return i
		}
	}
	return def
}

func (c *columns) insert(pos int, name string) {
	c.names = append(c.names, "")
	copy(c.names[pos+1:], c.names[pos:])
	c.names[pos] = name
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			c.parents[name[:i]] = true
		}
	}
	c.reindex()
}

func (c *columns) remove(pos int) {
	delete(c.index, c.names[pos])
	delete(c.unresolved, c.names[pos])
	c.names = append(c.names[:pos], c.names[pos+1:]...)
	c.reindex()
}

func (c *columns) reindex() {
	clear(c.index)
	for i, n := range c.names {
		c.index[n] = i
	}
}

// ancestorColumn finds a column that is a proper prefix of key, for keys that
// arrive after the header was written.
func (c *columns) ancestorColumn(key string) (string, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			if _, ok := c.index[key[:i]]; ok {
				return key[:i], true
			}
		}
	}
	return "", false
}
