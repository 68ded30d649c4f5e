package output

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/itchyny/gojq"
)

// JQ is a compiled jq expression (gojq). Compile once, run on each output.
type JQ struct {
	expr string
	code *gojq.Code
}

// CompileJQ parses and compiles expr; the error says what is wrong with it.
func CompileJQ(expr string) (*JQ, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
	}
	code, err := gojq.Compile(q, gojq.WithEnvironLoader(func() []string { return nil }))
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
	}
	return &JQ{expr: expr, code: code}, nil
}

// String returns the expression's source.
func (q *JQ) String() string { return q.expr }

// Run evaluates the expression over v's JSON form (v is marshalled first, so
// struct tags decide the field names) and writes each result on its own line:
// strings raw, like `jq -r`, anything else as indented JSON.
func (q *JQ) Run(ctx context.Context, w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return q.RunJSON(ctx, w, data)
}

// RunJSON is Run over already-encoded JSON.
func (q *JQ) RunJSON(ctx context.Context, w io.Writer, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keeps big integers and decimals exactly as Salesforce sent them
	var input any
	if err := dec.Decode(&input); err != nil {
		return err
	}
	iter := q.code.RunWithContext(ctx, input)
	var buf bytes.Buffer
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := v.(error); isErr {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break // `halt`: stop quietly
			}
			return fmt.Errorf("jq: %w", err)
		}
		buf.Reset()
		if s, isString := v.(string); isString {
			buf.WriteString(s)
			buf.WriteByte('\n')
		} else if err := WriteJSON(&buf, v); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
