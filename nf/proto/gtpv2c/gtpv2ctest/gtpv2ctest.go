// Package gtpv2ctest gives tests of GTP nodes loopback addresses of their
// own. GTP peers find each other by address only (an F-TEID carries no
// port), so every node of a test listens on the same port number, each
// on its own address of a random 127.x.y.0/24 block: the first socket
// (a test's fake MME or eNB, bound to port 0) picks the port, the NFs
// are configured with it as their peer port.
package gtpv2ctest

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/wmnsk/go-gtp/gtpv2/ie"

	"github.com/corebox/corebox/nf/proto/gtpv2c"
)

// Block is a /24 of loopback addresses for one test.
type Block struct{ base [4]byte }

// NewBlock picks a random block 127.x.y.0/24 (x in 1..254), away from
// 127.0.0.1 and unlikely to be another test's.
func NewBlock(t testing.TB) Block {
	t.Helper()
	return Block{base: [4]byte{127, byte(1 + rand.IntN(254)), byte(rand.IntN(256)), 0}}
}

// Addr is the block's address i (1..254).
func (b Block) Addr(i byte) netip.Addr {
	a := b.base
	a[3] = i
	return netip.AddrFrom4(a)
}

// AddrPort is address i with port.
func (b Block) AddrPort(i byte, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(b.Addr(i), port)
}

// OnlyLoopback reports whether every F-TEID in the GTPv2-C message b
// (grouped IEs included) that carries an IPv4 address carries a loopback
// one. Fuzz targets feed NFs only such messages: an NF sends to the
// addresses it is given, and tests send nowhere but loopback.
func OnlyLoopback(b []byte) bool {
	if len(b) < 8 {
		return true
	}
	off := 8
	if b[0]&0x08 != 0 {
		off = 12
	}
	if len(b) < off {
		return true
	}
	ies, err := ie.ParseMultiIEs(b[off:])
	if err != nil {
		// go-gtp's message decoder reads IEs the same way: it refuses these.
		return true
	}
	return loopbackIEs(ies)
}

func loopbackIEs(ies []*ie.IE) bool {
	for _, i := range ies {
		if i.Type == ie.FullyQualifiedTEID {
			if f, err := gtpv2c.ParseFTEID(i); err == nil && !f.Addr.IsLoopback() {
				return false
			}
		}
		if !loopbackIEs(i.ChildIEs) {
			return false
		}
	}
	return true
}
