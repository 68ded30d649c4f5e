package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// sealPrefix marks sfmcp's own sealed values: "s1." + base64url(nonce ‖
// AES-256-GCM ciphertext). Fernet tokens start with "gAAAAA" (version 0x80).
const sealPrefix = "s1."

// Cipher seals secrets before they are stored (STORAGE_ENCRYPTION_KEY).
//
// A key is 32 random bytes in base64 (standard or URL-safe, padded or not):
// both a key for AES-256-GCM and a Fernet key, which is the same 32 bytes
// split into a signing and an encryption half, so the old server's keys work
// unchanged. Several comma-separated keys rotate: the first seals, every one
// opens. The first key seals with AES-256-GCM, or with Fernet when written
// "fernet:<key>".
type Cipher struct {
	keys   [][]byte
	fernet bool // the first key seals Fernet tokens
	now    func() time.Time
}

// ParseKeys reads STORAGE_ENCRYPTION_KEY. An empty spec is an error: the
// caller decides whether running without encryption is allowed.
func ParseKeys(spec string) (*Cipher, error) {
	c := &Cipher{now: time.Now}
	for i, raw := range strings.Split(spec, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		isFernet := false
		if rest, ok := strings.CutPrefix(raw, "fernet:"); ok {
			raw, isFernet = rest, true
		}
		k, err := decodeKey(raw)
		if err != nil {
			return nil, fmt.Errorf("STORAGE_ENCRYPTION_KEY key %d: %w", i+1, err)
		}
		if len(c.keys) == 0 {
			c.fernet = isFernet
		}
		c.keys = append(c.keys, k)
	}
	if len(c.keys) == 0 {
		return nil, errors.New("STORAGE_ENCRYPTION_KEY is empty: want one or more comma-separated keys of 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
	}
	return c, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("decodes to %d bytes; a key is 32 bytes (`openssl rand -base64 32`)", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("is not base64 (a key is 32 random bytes in base64: `openssl rand -base64 32`)")
}

// Seal encrypts plaintext with the first key.
func (c *Cipher) Seal(plaintext []byte) ([]byte, error) {
	if c.fernet {
		tok, err := fernetEncrypt(c.keys[0], plaintext, c.now())
		return []byte(tok), err
	}
	block, err := aes.NewCipher(c.keys[0])
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	sealed := gcm.Seal(nonce, nonce, plaintext, []byte(sealPrefix))
	return []byte(sealPrefix + base64.RawURLEncoding.EncodeToString(sealed)), nil
}

// ErrUnsealable is returned for a value no key opens.
var ErrUnsealable = errors.New("stored secret cannot be decrypted with any STORAGE_ENCRYPTION_KEY key (was a key removed?)")

// Open decrypts a value sealed by Seal with any of the keys, or a Fernet token.
func (c *Cipher) Open(sealed []byte) ([]byte, error) {
	s := string(sealed)
	if rest, ok := strings.CutPrefix(s, sealPrefix); ok {
		raw, err := base64.RawURLEncoding.DecodeString(rest)
		if err != nil {
			return nil, ErrUnsealable
		}
		for _, k := range c.keys {
			block, _ := aes.NewCipher(k)
			gcm, _ := cipher.NewGCM(block)
			if len(raw) < gcm.NonceSize() {
				return nil, ErrUnsealable
			}
			if pt, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(sealPrefix)); err == nil {
				return pt, nil
			}
		}
		return nil, ErrUnsealable
	}
	for _, k := range c.keys {
		if pt, err := fernetDecrypt(k, s); err == nil {
			return pt, nil
		}
	}
	return nil, ErrUnsealable
}
