package store

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Fernet (https://github.com/fernet/spec): base64url of
// version 0x80 ‖ timestamp (8 bytes, big-endian seconds) ‖ IV (16) ‖
// AES-128-CBC ciphertext (PKCS#7) ‖ HMAC-SHA256 (32) over everything before it.
// The 32-byte key is the signing key (first 16) then the encryption key.

const (
	fernetVersion = 0x80
	fernetHeader  = 1 + 8 + aes.BlockSize
)

var errFernet = errors.New("invalid Fernet token")

func fernetEncrypt(key, plaintext []byte, now time.Time) (string, error) {
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	return fernetEncryptIV(key, plaintext, now, iv)
}

func fernetEncryptIV(key, plaintext []byte, now time.Time, iv []byte) (string, error) {
	block, err := aes.NewCipher(key[16:])
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	msg := make([]byte, fernetHeader, fernetHeader+len(padded)+sha256.Size)
	msg[0] = fernetVersion
	binary.BigEndian.PutUint64(msg[1:9], uint64(now.Unix()))
	copy(msg[9:], iv)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	msg = append(msg, ct...)
	mac := hmac.New(sha256.New, key[:16])
	mac.Write(msg)
	msg = mac.Sum(msg)
	return base64.URLEncoding.EncodeToString(msg), nil
}

// fernetDecrypt checks and decrypts a token. There is no TTL check: the
// store's own expiry bounds how long a value lives.
func fernetDecrypt(key []byte, token string) ([]byte, error) {
	raw, err := base64.URLEncoding.DecodeString(token)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(token); err != nil {
			return nil, errFernet
		}
	}
	if len(raw) < fernetHeader+aes.BlockSize+sha256.Size || raw[0] != fernetVersion {
		return nil, errFernet
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	mac := hmac.New(sha256.New, key[:16])
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return nil, errFernet
	}
	ct := body[fernetHeader:]
	if len(ct)%aes.BlockSize != 0 {
		return nil, errFernet
	}
	block, err := aes.NewCipher(key[16:])
	if err != nil {
		return nil, err
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, body[9:fernetHeader]).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errFernet
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, errFernet
		}
	}
	return pt[:len(pt)-pad], nil
}
