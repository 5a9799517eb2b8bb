package sgw_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
)

// datagram is one UDP payload as it went from one node to another.
type datagram struct {
	src, dst netip.Addr
	gtpc     bool // GTPv2-C, else GTP-U
	payload  []byte
}

// recorder keeps what the proxies forwarded, in order.
type recorder struct {
	mu  sync.Mutex
	all []datagram
}

func (r *recorder) add(d datagram) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, d)
}

// proxy forwards between the nodes that send to it and one target,
// recording each datagram with the addresses of its real ends.
func proxy(t *testing.T, rec *recorder, listen, target netip.AddrPort, gtpc bool) {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(listen))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go func() {
		defer close(done)
		var client netip.AddrPort
		buf := make([]byte, 65535)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			to := target
			if from == target {
				to = client
			} else {
				client = from
			}
			rec.add(datagram{src: from.Addr(), dst: to.Addr(), gtpc: gtpc, payload: bytes.Clone(buf[:n])})
			if _, err := c.WriteToUDPAddrPort(buf[:n], to); err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("proxy %s: %v", listen, err)
			}
		}
	}()
}

// TestTshark runs every procedure with proxies on every path recording
// what the SGW, the PGW and the fake peers send, writes it to a pcap (udp
// 2123 and 2152) and has Wireshark's dissectors check it: no malformed
// packet, no warning, every message type there.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	rec := &recorder{}
	c := startProxiedCore(t, rec)
	p, err := c.mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: "001010000000009", APN: "ims", PGW: c.pgwC, PCO: pcoRequest()})
	if err != nil || p.Cause != 16 {
		t.Fatalf("create: %+v, %v", p, err)
	}
	if cause, err := c.mme.ModifyBearer(ctxT(t), p, map[uint8]uint32{p.EBI: 0x100}); err != nil || cause != 16 {
		t.Fatalf("modify: %d, %v", cause, err)
	}
	ue := netip.AddrPortFrom(p.UE, 6000)
	dn := netip.MustParseAddrPort("192.0.2.10:40001") // plain data to the dissectors
	c.uplink(t, "ims", p.S1U, sgwtest.UDPPacket(ue, dn, []byte("up")))
	c.downlink(t, "ims", sgwtest.UDPPacket(dn, ue, []byte("down")), 0x100)
	if cause, err := c.mme.ReleaseAccessBearers(ctxT(t), p); err != nil || cause != 16 {
		t.Fatalf("release: %d, %v", cause, err)
	}
	if err := c.pgw.MemoryDevice("ims").Inject(ctxT(t), sgwtest.UDPPacket(dn, ue, []byte("held"))); err != nil {
		t.Fatal(err)
	}
	sgwtest.WaitMetric(t, c.sgw.Ops(), `corebox_sgw_downlink_data_notifications_total{result="acknowledged"}`, 1)
	if cause, err := c.mme.ModifyBearer(ctxT(t), p, map[uint8]uint32{p.EBI: 0x200}); err != nil || cause != 16 {
		t.Fatalf("modify: %d, %v", cause, err)
	}
	c.expectDownlink(t, sgwtest.UDPPacket(dn, ue, []byte("held")), 0x200)
	rule := pgw.Rule{Name: "voice", Precedence: 10, QoS: pgw.QoS{QCI: 1, ARP: pgw.ARP{Priority: 2}, MBRUL: 128, MBRDL: 128, GBRUL: 64, GBRDL: 64},
		Flows: []string{"permit out 17 from 10.47.0.10 5004 to assigned 6000"}}
	if err := c.pgw.InstallRules(ctxT(t), "001010000000009", "ims", rule); err != nil {
		t.Fatal(err)
	}
	if err := c.pgw.RemoveRules(ctxT(t), "001010000000009", "ims", "voice"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.mme.Conn.Echo(ctxT(t), c.mme.SGW); err != nil {
		t.Fatal(err)
	}
	if p2, err := c.mme.CreateSession(ctxT(t), sgwtest.CreateSession{IMSI: "001010000000010", APN: "nosuch", PGW: c.pgwC}); err != nil || p2.Cause != 78 {
		t.Fatalf("unknown APN: %+v, %v", p2, err)
	}
	if cause, err := c.mme.DeleteSession(ctxT(t), p); err != nil || cause != 16 {
		t.Fatalf("delete: %d, %v", cause, err)
	}

	rec.mu.Lock()
	all := slices.Clone(rec.all)
	rec.mu.Unlock()
	pcap := filepath.Join(t.TempDir(), "epc.pcap")
	if err := writePcap(pcap, all); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity >= warning").Output()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("tshark flags packets (%v):\n%s", err, out)
	}
	out, err = exec.Command(tshark, "-r", pcap, "-T", "fields", "-e", "gtpv2.message_type", "-e", "gtp.message").Output()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		seen[f] = true
	}
	// Create/Modify/Delete Session, Create/Delete Bearer, Release Access
	// Bearers, Downlink Data Notification and Echo, each way; G-PDUs.
	for _, want := range []string{"1", "2", "32", "33", "34", "35", "36", "37", "95", "96", "99", "100",
		"170", "171", "176", "177", "0xff"} {
		if !seen[want] {
			t.Errorf("no message of type %s in the capture (saw %v)", want, seen)
		}
	}
	t.Logf("%d datagrams checked by %s", len(all), tshark)
}

// startProxiedCore runs the core with every path through a recording
// proxy: block address 6 fronts the PGW, 7 the SGW's S5/S8, 8 its S11
// and S1-U, 9 the fake MME and eNB.
func startProxiedCore(t *testing.T, rec *recorder) *core {
	t.Helper()
	c := &core{b: gtpv2ctest.NewBlock(t)}
	c.mme, c.enb = sgwtest.StartMME(t, c.b), sgwtest.StartENB(t, c.b)
	q, u := c.mme.Port(), c.enb.Port()
	for _, pr := range []struct{ front, back byte }{{6, pgwtest.Index}, {7, sgwtest.IndexS5}, {8, sgwtest.IndexS11}, {9, 1}} {
		proxy(t, rec, c.b.AddrPort(pr.front, q), c.b.AddrPort(pr.back, q), true)
		proxy(t, rec, c.b.AddrPort(pr.front, u), c.b.AddrPort(pr.back, u), false)
	}
	scfg := sgwtest.Config(c.b, q, u)
	scfg.S5C.Address, scfg.S5U.Address = c.b.Addr(7).String(), c.b.Addr(7).String()
	scfg.S1U.Address = c.b.Addr(8).String()
	pcfg := pgwtest.Config(c.b, q, u)
	pcfg.GTPC.Address, pcfg.GTPU.Address = c.b.Addr(6).String(), c.b.Addr(6).String()
	c.pgw, _ = pgwtest.Start(t, pcfg)
	c.sgw, _ = sgwtest.Start(t, scfg)
	c.mme.SGW, c.mme.Addr, c.mme.ENB = c.b.AddrPort(8, q), c.b.Addr(9), c.b.Addr(9)
	c.pgwC = c.b.Addr(6)
	return c
}

// writePcap writes the datagrams as raw IPv4 packets, with the standard
// GTP ports so the dissectors pick them up.
func writePcap(path string, ds []datagram) error {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 101) // LINKTYPE_RAW
	b.Write(hdr)
	start := time.Unix(1_700_000_000, 0)
	for i, d := range ds {
		port := uint16(2152)
		if d.gtpc {
			port = 2123
		}
		pkt := sgwtest.UDPPacket(netip.AddrPortFrom(d.src, port), netip.AddrPortFrom(d.dst, port), d.payload)
		ts := start.Add(time.Duration(i) * time.Millisecond)
		rh := make([]byte, 16)
		binary.LittleEndian.PutUint32(rh[0:], uint32(ts.Unix()))
		binary.LittleEndian.PutUint32(rh[4:], uint32(ts.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(rh[8:], uint32(len(pkt)))
		binary.LittleEndian.PutUint32(rh[12:], uint32(len(pkt)))
		b.Write(rh)
		b.Write(pkt)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
