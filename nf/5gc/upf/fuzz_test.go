package upf

import (
	"context"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/proto/gtpu"
)

// The seeds in testdata/fuzz/FuzzUplink aim at TEID 1, the first one the
// UPF allocates.

// FuzzUplink sends arbitrary datagrams to the UPF's N3 socket, where an
// established session owns TEID 1, and checks the UPF survives and still
// answers. Each input is followed by an Echo Request: the endpoint reads
// in order, so the Echo Response means the input was fully handled.
func FuzzUplink(f *testing.F) {
	f.Add(uplinkSeed(f, 1, ipv4UDP(ueAddr, dnAddr, 60, 1)))
	l := startBenchLab(f)
	if l.teid != 1 {
		f.Fatalf("session got TEID %#x; the seeds expect 1", l.teid)
	}
	f.Fuzz(func(t *testing.T, datagram []byte) {
		if len(datagram) > 65000 {
			return
		}
		if err := l.gnb.ep.WritePacket(l.n3, datagram); err != nil {
			t.Fatalf("send: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := l.gnb.ep.Echo(ctx, l.n3); err != nil {
			t.Fatalf("no echo after %x: %v", datagram, err)
		}
	})
}

// FuzzDownlink hands arbitrary packets to the downlink path as N6 would.
func FuzzDownlink(f *testing.F) {
	f.Add(ipv4UDP(dnAddr, ueAddr, 60, 1))
	f.Add(ipv4UDP(dnAddr, dnAddr, 20, 1))
	f.Add([]byte{0x45})
	f.Add([]byte{0x60, 0, 0, 0})
	l := startBenchLab(f)
	wl := l.workerLane(f)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > maxPacket {
			return
		}
		buf := make([]byte, dlHeadroom+len(pkt))
		copy(buf[dlHeadroom:], pkt)
		wl.downlink(buf, dlHeadroom)
		wl.flush()
	})
}

// uplinkSeed is a G-PDU for teid with a PDU Session Container (QFI 9).
func uplinkSeed(tb testing.TB, teid uint32, inner []byte) []byte {
	tb.Helper()
	var h gtpu.Header
	h.Type, h.TEID = gtpu.MsgGPDU, teid
	h.SetPDUSession(gtpu.PDUSessionInfo{PDUType: gtpu.PDUTypeUL, QFI: qfi})
	b, err := gtpu.Append(nil, &h, inner)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
