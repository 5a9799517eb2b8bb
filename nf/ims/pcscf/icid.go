package pcscf

import (
	"crypto/rand"
	"encoding/hex"
)

// newICID is a fresh IMS Charging Identifier.
func newICID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
