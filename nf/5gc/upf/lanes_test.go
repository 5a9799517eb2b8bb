package upf

import (
	"bytes"
	"reflect"
	"sync"
	"testing"

	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// TestConcurrentLanesCountExactly runs every uplink lane and two downlink
// worker lanes at once on one session whose QER polices both directions
// (at a rate never reached): the URR report and the metrics must count
// every packet exactly once. Under -race it also checks the policers and
// counters for data races.
func TestConcurrentLanesCountExactly(t *testing.T) {
	const workers, perLane = 4, 500
	sess := pduSession(ueAddr)
	sess.QERs[0].MBR = &pfcp.Bitrate{UL: 100_000_000, DL: 100_000_000} // kbit/s
	b := startBenchLabWith(t, func(c *Config) { c.Workers = workers }, sess)
	if got := len(b.upf.ulLanes); got != workers {
		t.Fatalf("%d uplink lanes, want %d", got, workers)
	}
	tun := b.tunnel()
	var wg sync.WaitGroup
	var ulOctets, dlOctets uint64
	for loop := range workers {
		h, payload := parsedGPDU(t, b.teid, 100+loop)
		ulOctets += perLane * uint64(len(payload))
		wg.Go(func() {
			for range perLane {
				tun.HandleGPDUOn(loop, b.gnb.ep.LocalAddr(), h, payload)
			}
		})
	}
	const dlLanes, rounds = 2, perLane / n6BatchSize
	for i := range dlLanes {
		l := b.workerLane(t)
		pkt := ipv4UDP(dnAddr, ueAddr, 200+i, 1)
		dlOctets += rounds * n6BatchSize * uint64(len(pkt))
		wg.Go(func() {
			ring := newPacketRing(n6BatchSize)
			for range rounds {
				downlinkRound(l, ring, pkt)
			}
		})
	}
	wg.Wait()
	reports, err := b.smf.node.DeleteSession(ctxT(t), b.res.CPSEID)
	if err != nil {
		t.Fatal(err)
	}
	ulPkts, dlPkts := uint64(workers*perLane), uint64(dlLanes*rounds*n6BatchSize)
	want := []pfcp.UsageReport{{URRID: 1, Trigger: pfcp.UsageTermination, Volume: &pfcp.VolumeMeasurement{
		Total: ulOctets + dlOctets, Uplink: ulOctets, Downlink: dlOctets,
		TotalPackets: ulPkts + dlPkts, UplinkPackets: ulPkts, DownlinkPackets: dlPkts}}}
	if !reflect.DeepEqual(reports, want) {
		t.Fatalf("usage %+v\nwant %+v", reports[0].Volume, want[0].Volume)
	}
	for series, v := range map[string]float64{
		`corebox_upf_tx_packets_total{direction="uplink"}`:   float64(ulPkts),
		`corebox_upf_tx_bytes_total{direction="uplink"}`:     float64(ulOctets),
		`corebox_upf_tx_packets_total{direction="downlink"}`: float64(dlPkts),
		`corebox_upf_tx_bytes_total{direction="downlink"}`:   float64(dlOctets),
		`corebox_upf_rx_packets_total{direction="downlink"}`: float64(dlPkts),
		`corebox_upf_dropped_packets_total{reason="mbr"}`:    0,
		`corebox_upf_workers`:                                workers,
	} {
		if got := metric(t, b.upf, series); got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
}

// TestUplinkExtensionChain: a G-PDU whose PDU Session Container sits
// between other extension headers is matched on its QFI and forwarded.
func TestUplinkExtensionChain(t *testing.T) {
	l := startLab(t, nil)
	_, teid := l.establish(t, pduSession(ueAddr))
	h := gtpu.Header{Type: gtpu.MsgGPDU, TEID: teid, Seq: 7, HasSeq: true}
	h.Ext[0] = gtpu.ExtHeader{Type: gtpu.ExtUDPPort, Content: []byte{0x08, 0x68}}
	h.Ext[1] = gtpu.ExtHeader{Type: gtpu.ExtPDUSessionContainer}
	h.Ext[2] = gtpu.ExtHeader{Type: gtpu.ExtNRRANContainer, Content: bytes.Repeat([]byte{0xab}, 6)}
	h.NumExt = 3
	h.PDUSession = gtpu.PDUSessionInfo{Present: true, PDUType: gtpu.PDUTypeUL, QFI: qfi}
	up := ipv4UDP(ueAddr, dnAddr, 150, 3)
	if err := l.gnb.ep.SendHeader(l.n3, &h, up); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, l.upf.MemoryN6().Uplink(), "uplink packet on N6"); !bytes.Equal(got, up) {
		t.Fatalf("N6 got %x\nwant %x", got, up)
	}
}

// TestDownlinkGSO: with gtpu.gso a downlink batch leaves as GSO runs; the
// gNB still gets every G-PDU, whole and in order.
func TestDownlinkGSO(t *testing.T) {
	l := startLab(t, func(c *Config) { c.GTPU.GSO = true })
	l.gnb.listen(t, gnbTEID)
	l.establish(t, pduSession(ueAddr))
	const n = 100
	var want [][]byte
	for i := range n {
		size := 1000
		if i%30 == 29 {
			size = 400 // ends a run
		}
		p := ipv4UDP(dnAddr, ueAddr, size, uint16(i))
		want = append(want, p)
		l.inject(t, p)
	}
	for i := range n {
		g := recv(t, l.gnb.rx, "downlink G-PDU")
		if g.teid != gnbTEID || !bytes.Equal(g.payload, want[i]) {
			t.Fatalf("G-PDU %d: TEID %#x, packet %d of %d octets", i, g.teid, packetID(g.payload), len(g.payload))
		}
	}
	waitMetric(t, l.upf, `corebox_upf_tx_packets_total{direction="downlink"}`, n)
}

// TestDownlinkSendRefused: a G-PDU the kernel refuses in a batch (here
// for UDP port 0) is dropped and counted as tx_error.
func TestDownlinkSendRefused(t *testing.T) {
	g := startGNB(t)
	n := newUPF(t, testConfig(), 0) // gNBs "listen" on port 0: every send is refused
	runUPF(t, n)
	l := &lab{upf: n, gnb: g, n3: n.Addrs().GTPU, smf: startSMF(t, n.Addrs().PFCP)}
	l.establish(t, pduSession(ueAddr))
	l.inject(t, ipv4UDP(dnAddr, ueAddr, 100, 1))
	waitMetric(t, n, `corebox_upf_dropped_packets_total{reason="tx_error"}`, 1)
	if got := n.gtp.Stats().TxErrors.Load(); got != 1 {
		t.Fatalf("endpoint counted %d send errors", got)
	}
}
