// Package sfid validates, normalizes and generates Salesforce record ids.
//
// A Salesforce id is 15 case-sensitive characters (a 3-character key prefix
// that names the object, then 12 more) or the same 15 followed by a
// 3-character checksum that makes the id safe for case-insensitive systems.
// APIs accept either form and answer with the 18-character one.
package sfid

import (
	"errors"
	"fmt"
	"strings"
)

// checksumAlphabet maps a 5-bit chunk value to its checksum character.
const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// ErrInvalid is wrapped by every validation failure so callers can test for it.
var ErrInvalid = errors.New("invalid Salesforce id")

func isIDChar(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// Checksum returns the 3-character suffix for a 15-character id. For each
// 5-character chunk, bit j is set when character j is an upper-case letter.
func Checksum(id15 string) string {
	var out [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for j := 0; j < 5; j++ {
			c := id15[chunk*5+j]
			if c >= 'A' && c <= 'Z' {
				v |= 1 << j
			}
		}
		out[chunk] = checksumAlphabet[v]
	}
	return string(out[:])
}

// Normalize validates id and returns its 18-character form. A 15-character id
// gets its checksum appended; an 18-character id must carry the right one.
func Normalize(id string) (string, error) {
	switch len(id) {
	case 15, 18:
	default:
		return "", fmt.Errorf("%w: %q has %d characters, want 15 or 18", ErrInvalid, clip(id), len(id))
	}
	for i := 0; i < len(id); i++ {
		if !isIDChar(id[i]) {
			return "", fmt.Errorf("%w: %q contains a character that is not a letter or digit", ErrInvalid, clip(id))
		}
	}
	want := Checksum(id[:15])
	if len(id) == 18 && id[15:] != want {
		return "", fmt.Errorf("%w: %q has a wrong checksum", ErrInvalid, id)
	}
	return id[:15] + want, nil
}

// Valid reports whether id is a well-formed 15- or 18-character id.
func Valid(id string) bool {
	_, err := Normalize(id)
	return err == nil
}

// Prefix returns the 3-character key prefix of a well-formed id, or "".
func Prefix(id string) string {
	if !Valid(id) {
		return ""
	}
	return id[:3]
}

// Equal reports whether a and b name the same record, whatever their lengths.
func Equal(a, b string) bool {
	na, errA := Normalize(a)
	nb, errB := Normalize(b)
	return errA == nil && errB == nil && na == nb
}

// base62 is the alphabet Salesforce uses for the body of an id.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// New builds the 18-character id for a key prefix, a 3-character pod/instance
// part and a sequence number. The same inputs always give the same id, which
// keeps the emulator's sample org deterministic.
func New(prefix, pod string, seq uint64) (string, error) {
	if len(prefix) != 3 || len(pod) != 3 {
		return "", fmt.Errorf("%w: prefix %q and pod %q must have 3 characters each", ErrInvalid, prefix, pod)
	}
	var body [9]byte
	for i := len(body) - 1; i >= 0; i-- {
		body[i] = base62[seq%62]
		seq /= 62
	}
	if seq != 0 {
		return "", fmt.Errorf("%w: sequence number too large", ErrInvalid)
	}
	return Normalize(prefix + pod + string(body[:]))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
