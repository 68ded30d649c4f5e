package ops

// CSV for Bulk API 2.0 uploads, handled as raw bytes so that a file of any
// size streams through in constant memory: a record reader that finds record
// boundaries (quotes, doubled quotes, embedded newlines, CRLF, a UTF-8 BOM)
// and counts fields, a splitter that cuts the stream into parts under an
// upload limit on record boundaries, each part starting with the header, and
// a converter from JSON lines to CSV.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSVError is malformed CSV input, located by line (1-based, counting every
// newline of the input, including those inside quoted values).
type CSVError struct {
	Line int
	Msg  string
}

func (e *CSVError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ErrNoRows is an input with a header and no data rows, or nothing at all.
var ErrNoRows = errors.New("the input has no data rows")

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parser states.
const (
	stFieldStart = iota
	stUnquoted
	stQuoted
	stQuoteInQuoted // a quote inside a quoted field: the end of it, or half of ""
)

// recordReader yields the input's CSV records one at a time as raw bytes,
// each ending in a single "\n" whatever the input used (CRLF becomes LF
// outside quoted values; inside them every byte is kept). Blank lines are
// skipped, as encoding/csv and Salesforce skip them.
type recordReader struct {
	br       *bufio.Reader
	rec      []byte // the current record
	fields   int    // its field count
	line     int    // the line it starts on
	nextLine int
	started  bool
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(r, 64<<10), nextLine: 1}
}

// next reads the following record; io.EOF at the end, *CSVError when malformed.
func (rr *recordReader) next() ([]byte, error) {
	if !rr.started {
		rr.started = true
		if b, err := rr.br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
			_, _ = rr.br.Discard(3)
		}
	}
	for {
		rr.rec = rr.rec[:0]
		rr.line = rr.nextLine
		rr.fields = 1
		state := stFieldStart
		for {
			chunk, err := rr.br.ReadSlice('\n')
			start := len(rr.rec)
			rr.rec = append(rr.rec, chunk...)
			for i := start; i < len(rr.rec); i++ {
				switch b := rr.rec[i]; b {
				case '"':
					switch state {
					case stFieldStart:
						state = stQuoted
					case stUnquoted:
						return nil, &CSVError{rr.nextLine, `a quote (") inside a value that does not start with one; quote the whole value and double the quote ("")`}
					case stQuoted:
						state = stQuoteInQuoted
					case stQuoteInQuoted:
						state = stQuoted
					}
				case ',':
					if state != stQuoted {
						rr.fields++
						state = stFieldStart
					}
				case '\n':
					rr.nextLine++
				case '\r':
					// Outside quotes a CR must end the line (CRLF, or CR at the
					// very end of the input): lone CRs are old Mac line endings
					// that Bulk API 2.0 does not take.
					if state != stQuoted {
						lineEnd := i+1 < len(rr.rec) && rr.rec[i+1] == '\n' ||
							i+1 == len(rr.rec) && (err == io.EOF || err == bufio.ErrBufferFull)
						if !lineEnd {
							return nil, &CSVError{rr.nextLine, `a carriage return (\r) outside quotes that does not end the line; use LF or CRLF line endings`}
						}
					}
				default:
					switch state {
					case stFieldStart:
						state = stUnquoted
					case stQuoteInQuoted:
						return nil, &CSVError{rr.nextLine, `text after the closing quote of a value; a quote inside a quoted value must be doubled ("")`}
					}
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			endsLine := len(rr.rec) > 0 && rr.rec[len(rr.rec)-1] == '\n'
			if err != nil && err != io.EOF {
				return nil, err
			}
			if state == stQuoted {
				if err == io.EOF {
					return nil, &CSVError{rr.line, "a quoted value is never closed (a missing quote)"}
				}
				continue // a newline inside a quoted value
			}
			if endsLine {
				rr.rec = rr.rec[:len(rr.rec)-1]
			}
			if n := len(rr.rec); n > 0 && rr.rec[n-1] == '\r' {
				rr.rec = rr.rec[:n-1]
			}
			if len(rr.rec) == 0 {
				if err == io.EOF {
					return nil, io.EOF
				}
				break // a blank line: skip it
			}
			rr.rec = append(rr.rec, '\n')
			return rr.rec, nil
		}
	}
}

// parseHeader reads a header record's column names.
func parseHeader(raw []byte, line int) ([]string, error) {
	names, err := csv.NewReader(bytes.NewReader(raw)).Read()
	if err != nil {
		return nil, &CSVError{line, "cannot read the header: " + err.Error()}
	}
	seen := map[string]bool{}
	for i, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			return nil, &CSVError{line, fmt.Sprintf("header column %d has no name", i+1)}
		}
		if seen[strings.ToLower(n)] {
			return nil, &CSVError{line, fmt.Sprintf("header column %q appears twice", n)}
		}
		seen[strings.ToLower(n)] = true
		names[i] = n
	}
	return names, nil
}

// CSVSummary is what scanning a whole CSV input found.
type CSVSummary struct {
	Header []string
	Rows   int64
	Bytes  int64 // the normalised size: header and records, LF-terminated
}

// ScanCSV reads a whole CSV input once, checking that it parses and that
// every row has as many fields as the header, and counts its rows.
func ScanCSV(r io.Reader) (CSVSummary, error) {
	rr := newRecordReader(r)
	raw, err := rr.next()
	if err == io.EOF {
		return CSVSummary{}, ErrNoRows
	}
	if err != nil {
		return CSVSummary{}, err
	}
	header, err := parseHeader(raw, rr.line)
	if err != nil {
		return CSVSummary{}, err
	}
	sum := CSVSummary{Header: header, Bytes: int64(len(raw))}
	for {
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, err
		}
		if rr.fields != len(header) {
			return sum, raggedError(rr, len(header))
		}
		sum.Rows++
		sum.Bytes += int64(len(rec))
	}
	if sum.Rows == 0 {
		return sum, ErrNoRows
	}
	return sum, nil
}

func raggedError(rr *recordReader, want int) error {
	return &CSVError{rr.line, fmt.Sprintf("the row has %d field%s but the header has %d", rr.fields, plural(rr.fields), want)}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// CSVSplitter cuts a CSV stream into parts of at most a given size, on
// record boundaries, each part starting with the header. Parts are read one
// after the other; only one record is held at a time.
type CSVSplitter struct {
	rr      *recordReader
	header  []byte
	columns int
	max     int64
	pending bool // rr.rec holds a record not yet in a part
	eof     bool
	err     error
	parts   int
	// pos is the offset of the pending record among the records' bytes
	// (the header not counted); row is how many records came before it.
	pos int64
	row int64
}

// NewCSVSplitter reads the header of r. maxBytes bounds each part, header included.
func NewCSVSplitter(r io.Reader, maxBytes int64) (*CSVSplitter, error) {
	rr := newRecordReader(r)
	raw, err := rr.next()
	if err == io.EOF {
		return nil, ErrNoRows
	}
	if err != nil {
		return nil, err
	}
	names, err := parseHeader(raw, rr.line)
	if err != nil {
		return nil, err
	}
	s := &CSVSplitter{rr: rr, header: bytes.Clone(raw), columns: len(names), max: maxBytes}
	if int64(len(s.header)) >= maxBytes {
		return nil, fmt.Errorf("the header alone is %d bytes, over the upload limit of %d", len(s.header), maxBytes)
	}
	s.advance()
	if s.eof && s.err == nil {
		return nil, ErrNoRows
	}
	return s, s.err
}

// advance reads the next record into rr.rec.
func (s *CSVSplitter) advance() {
	if s.pending {
		s.pos += int64(len(s.rr.rec))
		s.row++
	}
	_, err := s.rr.next()
	switch {
	case err == io.EOF:
		s.eof, s.pending = true, false
	case err != nil:
		s.err, s.pending = err, false
	case s.rr.fields != s.columns:
		s.err, s.pending = raggedError(s.rr, s.columns), false
	default:
		s.pending = true
	}
}

// Next returns a reader over the next part, or nil when every record has
// been handed out or reading failed (see Err). Read each part to its end
// before calling Next again.
func (s *CSVSplitter) Next() *CSVPart {
	if !s.pending {
		return nil
	}
	s.parts++
	return &CSVPart{s: s, piece: s.header, size: int64(len(s.header)), Index: s.parts, Start: s.pos, FirstRow: s.row + 1}
}

// Err is the error that stopped the splitter, if any.
func (s *CSVSplitter) Err() error { return s.err }

// CSVPart is one part of a split CSV stream: an io.Reader.
type CSVPart struct {
	s     *CSVSplitter
	piece []byte // what is left of the header or record being read
	size  int64  // bytes in the part so far, counting the piece being read
	// Index counts parts from 1.
	Index int
	// Start is where the part's first record begins among the input's
	// records (a byte offset that does not count the header); FirstRow is
	// that record's number, counting from 1. With End they name the part's
	// byte range, the same on every pass over the same input.
	Start    int64
	FirstRow int64
	// Rows is how many records the part has handed out so far (all of them once read to EOF).
	Rows int64
	done bool
}

// Read implements io.Reader.
func (p *CSVPart) Read(b []byte) (int, error) {
	for len(p.piece) == 0 {
		if p.done {
			return 0, io.EOF
		}
		s := p.s
		if p.Rows > 0 {
			s.advance() // the record handed out last is used up
		}
		if s.err != nil {
			p.done = true
			return 0, s.err
		}
		if !s.pending {
			p.done = true
			return 0, io.EOF
		}
		n := int64(len(s.rr.rec))
		if int64(len(s.header))+n > s.max {
			s.err, s.pending = &CSVError{s.rr.line, fmt.Sprintf("the row is %d bytes, too large for the upload limit of %d bytes with the header", n, s.max)}, false
			p.done = true
			return 0, s.err
		}
		if p.Rows > 0 && p.size+n > s.max {
			// The record opens the next part; it stays pending.
			p.done = true
			return 0, io.EOF
		}
		p.piece = s.rr.rec
		p.size += n
		p.Rows++
	}
	n := copy(b, p.piece)
	p.piece = p.piece[n:]
	return n, nil
}

// End is where the part's records end (exclusive), once it was read to EOF.
func (p *CSVPart) End() int64 { return p.Start + p.size - int64(len(p.s.header)) }

// Size is the bytes the part has handed out so far.
func (p *CSVPart) Size() int64 { return p.size - int64(len(p.piece)) }
