package nrfc

import (
	"crypto/rand"
	"crypto/sha1"
	"fmt"
)

// instanceNamespace is the UUID namespace of corebox instance names.
var instanceNamespace = [16]byte{0x6f, 0x2b, 0x1c, 0x4e, 0x93, 0x5a, 0x4d, 0x21,
	0x8a, 0x0e, 0x3c, 0x57, 0xb1, 0x64, 0x0d, 0x9f}

// NewInstanceID is a random UUID (version 4), the form TS 29.510 wants for
// nfInstanceId.
func NewInstanceID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return format(u)
}

// InstanceIDFor is a name-based UUID (version 5) of an instance name such
// as "5gc-smf-0": a replaced container keeps its nfInstanceId, so the NRF
// replaces its profile instead of holding a stale one.
func InstanceIDFor(name string) string {
	h := sha1.New() // #nosec G401 -- RFC 9562 UUIDv5 is defined on SHA-1
	h.Write(instanceNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return format(u)
}

func format(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
