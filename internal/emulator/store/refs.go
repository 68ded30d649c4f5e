package store

import (
	"context"
	"fmt"
)

// Referencing returns the ids of the live records of object whose field
// holds id: the children a cascading or restricted delete must look at.
// It scans the object's records (json_extract in SQLite) and the blocks
// holding id's characters, so a delete costs a pass over each child object.
func (tx *Tx) Referencing(ctx context.Context, object, field, id string) ([]string, error) {
	rows, err := tx.q.QueryContext(ctx,
		`SELECT id FROM records WHERE object = ? AND deleted = 0 AND json_extract(data, '$.' || ?) = ?`, object, field, id)
	if err != nil {
		return nil, fmt.Errorf("store: records of %s referencing %s: %w", object, id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var rid string
		if err := rows.Scan(&rid); err != nil {
			return nil, fmt.Errorf("store: records of %s referencing %s: %w", object, id, err)
		}
		out = append(out, rid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: records of %s referencing %s: %w", object, id, err)
	}
	rows.Close() // the connection is the transaction's: free it for the blocks
	blocked, err := tx.referencingInBlocks(ctx, object, field, id)
	if err != nil {
		return nil, err
	}
	return append(out, blocked...), nil
}
