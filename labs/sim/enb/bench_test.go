package enb

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// benchPayload is a typical uplink IP packet size.
const benchPayload = 1400

// BenchmarkUplinkForwarding measures the eNB's uplink path without the
// radio socket: decode a radio UplinkData datagram, find the E-RAB, write
// the GTP-U header in place and send it to the SGW (a UDP socket nobody
// reads, so the kernel drops what overflows). The baseline sub-benchmark
// is the same send of a ready-made G-PDU from a bare GTP-U endpoint; the
// enb one reports its time per packet as a ratio to it (x_baseline).
func BenchmarkUplinkForwarding(b *testing.B) {
	sgw := benchSGW(b)
	var baseline time.Duration // per packet
	b.Run("baseline", func(b *testing.B) {
		ep, err := gtpu.New(gtpu.Config{Addr: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = ep.Close() })
		pkt, err := gtpu.Append(nil, &gtpu.Header{Type: gtpu.MsgGPDU, TEID: 0xABC}, make([]byte, benchPayload))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(benchPayload)
		b.ReportAllocs()
		for b.Loop() {
			if err := ep.WritePacket(sgw, pkt); err != nil {
				b.Fatal(err)
			}
		}
		baseline = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
	})
	b.Run("enb", func(b *testing.B) {
		n, l := fuzzENB(b)
		n.cfg.GTPU.PeerPort = int(sgw.Port())
		ue, _, err := n.ues.add(ueKey{sim: nowhere, id: 1}, l)
		if err != nil {
			b.Fatal(err)
		}
		ok, _, failed := n.setupERABs(ue, []s1ap.ERABToSetup{{ID: 5, QoS: s1ap.QoS{QCI: 9},
			Tunnel: s1ap.GTPTunnel{Addr: sgw.Addr(), TEID: 0xABC}}}, true)
		if len(ok) != 1 || len(failed) != 0 {
			b.Fatalf("e-rab setup: ok %v failed %v", ok, failed)
		}
		dgram, err := radio.Append(nil, radio.Message{Type: radio.UplinkData, UE: 1, Session: 5, Body: make([]byte, benchPayload)})
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, len(dgram))
		before := n.up.Load().Stats().TxPackets.Load()
		b.SetBytes(benchPayload)
		b.ReportAllocs()
		for b.Loop() {
			copy(buf, dgram) // what the radio socket's read would do
			n.handleRadio(nowhere, buf)
		}
		if sent := n.up.Load().Stats().TxPackets.Load() - before; sent != uint64(b.N) {
			b.Fatalf("%d G-PDUs sent for %d packets", sent, b.N)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		if baseline > 0 {
			b.ReportMetric(float64(b.Elapsed()/time.Duration(b.N))/float64(baseline), "x_baseline")
		}
	})
}

// benchSGW is a bound UDP socket nobody reads: sends to it succeed, and
// the kernel drops what its buffer cannot hold.
func benchSGW(b *testing.B) netip.AddrPort {
	b.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return netip.MustParseAddrPort(c.LocalAddr().String())
}
