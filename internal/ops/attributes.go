package ops

import (
	"bytes"
	"encoding/json"
)

// StripAttributes returns a record without the "attributes" objects that
// Salesforce puts on every record, nested ones included (relationship
// parents, subquery rows). They repeat the object type and the record's URL
// and are more than half of a narrow query's bytes; an agent that wants them
// asks with attributes=true. Key order and values are kept as sent. A value
// that is not valid JSON is returned unchanged.
func StripAttributes(rec json.RawMessage) json.RawMessage {
	if !bytes.Contains(rec, []byte(`"attributes"`)) {
		return rec
	}
	var buf bytes.Buffer
	buf.Grow(len(rec))
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	if err := copyWithout(dec, &buf, "attributes"); err != nil {
		return rec
	}
	return json.RawMessage(buf.Bytes())
}

// copyWithout copies one JSON value from dec to buf, dropping every object
// member named skip.
func copyWithout(dec *json.Decoder, buf *bytes.Buffer, skip string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			buf.WriteByte('{')
			first := true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if key == skip {
					var discard json.RawMessage
					if err := dec.Decode(&discard); err != nil {
						return err
					}
					continue
				}
				if !first {
					buf.WriteByte(',')
				}
				first = false
				kb, _ := json.Marshal(key)
				buf.Write(kb)
				buf.WriteByte(':')
				if err := copyWithout(dec, buf, skip); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			buf.WriteByte('}')
		case '[':
			buf.WriteByte('[')
			first := true
			for dec.More() {
				if !first {
					buf.WriteByte(',')
				}
				first = false
				if err := copyWithout(dec, buf, skip); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			buf.WriteByte(']')
		}
	case nil:
		buf.WriteString("null")
	case json.Number:
		buf.WriteString(v.String())
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}
