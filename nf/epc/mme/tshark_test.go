package mme

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// pduLog records the PDUs of one interface, in order, for Wireshark.
type pduLog struct {
	mu     sync.Mutex
	frames []frame
}

type frame struct {
	dissector string
	pdu       []byte
}

func (l *pduLog) add(dissector string, pdu []byte) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.frames = append(l.frames, frame{dissector, append([]byte(nil), pdu...)})
}

// s11Tap relays S11 between the MME and its SGW, logging each datagram.
// Only what the MME starts passes it: the SGW sends its own requests to
// the MME's F-TEID address.
type s11Tap struct {
	conn     *net.UDPConn
	mme, sgw netip.AddrPort
	log      *pduLog
	done     chan struct{}
}

func startS11Tap(t testing.TB, at, mme, sgw netip.AddrPort, log *pduLog) *s11Tap {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(at))
	if err != nil {
		t.Fatal(err)
	}
	tap := &s11Tap{conn: c, mme: mme, sgw: sgw, log: log, done: make(chan struct{})}
	go tap.relay()
	t.Cleanup(func() {
		c.Close()
		<-tap.done
	})
	return tap
}

func (tap *s11Tap) relay() {
	defer close(tap.done)
	buf := make([]byte, 65535)
	for {
		n, from, err := tap.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		to := tap.sgw
		if from.Addr().Unmap() == tap.sgw.Addr() {
			to = tap.mme
		}
		tap.log.add("gtpv2", buf[:n])
		_, _ = tap.conn.WriteToUDPAddrPort(buf[:n], to)
	}
}

// Wireshark reads every S1AP PDU (with the NAS inside, null-ciphered so
// that it is readable) and every S11 message of attach, second PDN,
// idle, Service Request, TAU, PDN disconnect and detach, and finds no
// malformed packet nor warning. Skips without tshark.
func TestTsharkReadsTheTraffic(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	s1, s11 := &pduLog{}, &pduLog{}
	e := newEnv(t, 1, func(c *Config) {
		c.NAS.Ciphering = []string{"EEA0"}
		mmeAddr := netip.MustParseAddrPort(c.S11.Listen)
		sgw := netip.MustParseAddrPort(c.SGW.S11[0])
		a := mmeAddr.Addr().As4()
		a[3] = 11
		at := netip.AddrPortFrom(netip.AddrFrom4(a), mmeAddr.Port())
		startS11Tap(t, at, mmeAddr, sgw, s11)
		c.SGW.S11 = []string{at.String()}
	})
	e.enb.log = s1
	u := e.attached(t, 1)
	var ask naseps.PCO
	ask.Add(naseps.PCOPCSCFIPv4, nil)
	if p, cause := u.pdnConnect("ims", &ask); p == nil {
		t.Fatalf("PDN connectivity refused #%d", cause)
	}
	e.waitSynced(t, u)
	u.releaseByENB()
	u.serviceRequest(e.enb)
	e.waitSynced(t, u)
	u.releaseByENB()
	if acc, cause := u.tau(e.enb, true, false); acc == nil {
		t.Fatalf("TAU refused #%d", cause)
	}
	u.expectRelease()
	u.serviceRequest(e.enb)
	e.waitSynced(t, u)
	if cause := u.pdnDisconnect("ims"); cause != 0 {
		t.Fatalf("PDN disconnect refused #%d", cause)
	}
	u.detach(false)

	var frames []frame
	for _, l := range []*pduLog{s1, s11} {
		l.mu.Lock()
		frames = append(frames, l.frames...)
		l.mu.Unlock()
	}
	pcap := filepath.Join(t.TempDir(), "mme.pcap")
	writeUpperPDUPcap(t, pcap, frames)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tshark, "-n", "-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity >= warning",
		"-T", "fields", "-e", "frame.number", "-e", "frame.protocols", "-e", "_ws.expert.message").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if bad := strings.TrimSpace(string(out)); bad != "" {
		t.Errorf("Wireshark flags frames:\n%s", bad)
	}
	out, err = exec.CommandContext(ctx, tshark, "-n", "-r", pcap, "-T", "fields", "-e", "frame.protocols").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(frames) {
		t.Fatalf("tshark read %d frames, we wrote %d", len(lines), len(frames))
	}
	for i, f := range frames {
		want := f.dissector
		if f.dissector == "s1ap" && carriesNAS(f.pdu) {
			want = "s1ap:nas-eps"
		}
		if !strings.Contains(lines[i], want) {
			t.Errorf("frame %d: protocols %q, want %s", i+1, lines[i], want)
		}
	}
}

// carriesNAS reports whether an S1AP PDU has a NAS PDU inside.
func carriesNAS(pdu []byte) bool {
	switch m, _ := s1ap.Decode(pdu); v := m.(type) {
	case *s1ap.InitialUEMessage, *s1ap.UplinkNASTransport, *s1ap.DownlinkNASTransport, *s1ap.ERABSetupRequest:
		return true
	case *s1ap.InitialContextSetupRequest:
		return len(v.ERABs) > 0 && len(v.ERABs[0].NASPDU) > 0
	case *s1ap.ERABReleaseCommand:
		return len(v.NASPDU) > 0
	}
	return false
}

// writeUpperPDUPcap writes frames as a pcap of link type
// WIRESHARK_UPPER_PDU (252): each packet names its dissector in an
// EXP_PDU_TAG_DISSECTOR_NAME tag, so no lower layers are needed.
func writeUpperPDUPcap(t *testing.T, path string, frames []frame) {
	t.Helper()
	out := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	out = binary.LittleEndian.AppendUint16(out, 2)
	out = binary.LittleEndian.AppendUint16(out, 4)
	out = append(out, make([]byte, 8)...) // time zone, sigfigs
	out = binary.LittleEndian.AppendUint32(out, 65535)
	out = binary.LittleEndian.AppendUint32(out, 252)
	for i, f := range frames {
		name := append([]byte(f.dissector), 0)
		for len(name)%4 != 0 {
			name = append(name, 0)
		}
		pkt := binary.BigEndian.AppendUint16(nil, 12) // EXP_PDU_TAG_DISSECTOR_NAME
		pkt = binary.BigEndian.AppendUint16(pkt, uint16(len(name)))
		pkt = append(append(pkt, name...), 0, 0, 0, 0) // EXP_PDU_TAG_END_OF_OPT
		pkt = append(pkt, f.pdu...)
		out = binary.LittleEndian.AppendUint32(out, uint32(1_700_000_000+i))
		out = binary.LittleEndian.AppendUint32(out, 0)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(pkt)))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(pkt)))
		out = append(out, pkt...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
