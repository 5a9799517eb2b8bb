package diameter

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
)

// TestTsharkDecodes writes every sample exchange (S6a, Gx, Rx) into a pcap
// as TCP on port 3868, each request followed by its answer, and has
// Wireshark decode it: nothing malformed, no expert warning, and each
// frame's command code, application id and R bit as sent. Skips when
// tshark is not installed.
func TestTsharkDecodes(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	byName := map[string]builder{}
	for _, s := range samples(t) {
		byName[s.name] = s.msg
	}
	type exchange struct {
		flow      *tcpFlow
		req, ans  string
		reqFromUp bool // the request goes client -> server
	}
	s6a := newTCPFlow([4]byte{10, 0, 1, 2}, [4]byte{10, 0, 1, 3}, 40001) // MME -> HSS
	gx := newTCPFlow([4]byte{10, 0, 2, 2}, [4]byte{10, 0, 2, 3}, 40002)  // PGW -> PCRF
	rx := newTCPFlow([4]byte{10, 0, 3, 2}, [4]byte{10, 0, 2, 3}, 40003)  // P-CSCF -> PCRF
	exchanges := []exchange{
		{s6a, "AIR", "AIA", true}, {s6a, "AIR resync", "AIA unknown user", true},
		{s6a, "ULR", "ULA", true}, {s6a, "PUR", "PUA", true}, {s6a, "CLR", "CLA", false},
		{gx, "CCR-I", "CCA", true}, {gx, "RAR", "RAA", false}, {gx, "CCR-T", "CCA rejected", true},
		{rx, "AAR", "AAA", true}, {rx, "STR", "STA", true},
	}
	var frames [][]byte
	type want struct {
		code, app uint32
		request   bool
	}
	var wants []want
	for i, ex := range exchanges {
		rm, err := byName[ex.req].Build()
		if err != nil {
			t.Fatal(err)
		}
		am, err := byName[ex.ans].Build()
		if err != nil {
			t.Fatal(err)
		}
		rm.Header.HopByHopID, rm.Header.EndToEndID = uint32(0x1000+i), uint32(0x2000+i)
		am.Header.HopByHopID, am.Header.EndToEndID = rm.Header.HopByHopID, rm.Header.EndToEndID
		for j, m := range []*diam.Message{rm, am} {
			raw, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			up := ex.reqFromUp == (j == 0)
			frames = append(frames, ex.flow.segment(up, raw)...)
			wants = append(wants, want{m.Header.CommandCode, m.Header.ApplicationID, j == 0})
		}
	}
	pcap := filepath.Join(t.TempDir(), "diameter.pcap")
	if err := os.WriteFile(pcap, writePcap(frames), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, tshark, append([]string{"-n", "-r", pcap}, args...)...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}
	const flagged = "_ws.malformed || _ws.expert.severity >= warning"
	if s := strings.TrimSpace(run("-Y", flagged)); s != "" {
		t.Errorf("tshark flags frames:\n%s\n%s", s, run("-V", "-Y", flagged))
	}
	out := run("-Y", "diameter", "-T", "fields", "-e", "diameter.cmd.code", "-e", "diameter.applicationId", "-e", "diameter.flags.request")
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("tshark saw %d Diameter frames, want %d:\n%s", len(lines), len(wants), out)
	}
	for i, line := range lines {
		f := strings.Split(line, "\t")
		w := wants[i]
		if len(f) != 3 || f[0] != itoa(w.code) || f[1] != itoa(w.app) || (f[2] == "1") != w.request {
			t.Errorf("frame %d: tshark %q, want code %d app %d request %v", i+1, line, w.code, w.app, w.request)
		}
	}
	// The 3GPP AVPs decode by name, values included.
	fields := run("-Y", "diameter", "-T", "fields", "-E", "separator=|",
		"-e", "diameter.User-Name", "-e", "diameter.Service-Selection", "-e", "diameter.Experimental-Result-Code",
		"-e", "diameter.Charging-Rule-Name", "-e", "diameter.Media-Type", "-e", "diameter.KASME")
	// Charging-Rule-Name is an OctetString: tshark shows "voice-1" in hex.
	k := vector(0).KASME
	for _, want := range []string{imsi, "|internet,ims|", "|5001|", "766f6963652d31", "||||0|", hex.EncodeToString(k[:])} {
		if !strings.Contains(fields, want) {
			t.Errorf("tshark fields lack %q:\n%s", want, fields)
		}
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// tcpFlow is one TCP connection client:port -> server:3868, written from
// its three-way handshake on, with sequence and acknowledgement numbers
// kept, so that Wireshark's TCP analysis has nothing to remark.
type tcpFlow struct {
	cli, srv   [4]byte
	cport      uint16
	cseq, sseq uint32
	started    bool
}

func newTCPFlow(cli, srv [4]byte, cport uint16) *tcpFlow {
	return &tcpFlow{cli: cli, srv: srv, cport: cport, cseq: 1000, sseq: 5000}
}

const (
	tcpSYN = 0x02
	tcpACK = 0x10
	tcpPSH = 0x08
)

// segment gives the packets that carry payload in one direction (the
// handshake first, the first time).
func (f *tcpFlow) segment(up bool, payload []byte) [][]byte {
	var out [][]byte
	if !f.started {
		f.started = true
		out = append(out, f.packet(true, f.cseq, 0, tcpSYN, nil))
		f.cseq++
		out = append(out, f.packet(false, f.sseq, f.cseq, tcpSYN|tcpACK, nil))
		f.sseq++
		out = append(out, f.packet(true, f.cseq, f.sseq, tcpACK, nil))
	}
	if up {
		out = append(out, f.packet(true, f.cseq, f.sseq, tcpACK|tcpPSH, payload))
		f.cseq += uint32(len(payload))
	} else {
		out = append(out, f.packet(false, f.sseq, f.cseq, tcpACK|tcpPSH, payload))
		f.sseq += uint32(len(payload))
	}
	return out
}

// packet is an IPv4 + TCP packet with valid checksums.
func (f *tcpFlow) packet(up bool, seq, ack uint32, flags byte, payload []byte) []byte {
	src, dst, sport, dport := f.cli, f.srv, f.cport, uint16(3868)
	if !up {
		src, dst, sport, dport = dst, src, dport, sport
	}
	tcp := binary.BigEndian.AppendUint16(nil, sport)
	tcp = binary.BigEndian.AppendUint16(tcp, dport)
	tcp = binary.BigEndian.AppendUint32(tcp, seq)
	tcp = binary.BigEndian.AppendUint32(tcp, ack)
	tcp = append(tcp, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0)
	tcp = append(tcp, payload...)
	pseudo := append(append(append([]byte(nil), src[:]...), dst[:]...), 0, 6, byte(len(tcp)>>8), byte(len(tcp)))
	binary.BigEndian.PutUint16(tcp[16:], checksum(append(pseudo, tcp...)))
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
	ip = append(append(ip, src[:]...), dst[:]...)
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	return append(ip, tcp...)
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// writePcap wraps packets in a classic pcap of link type RAW (bare IPv4),
// one millisecond apart.
func writePcap(packets [][]byte) []byte {
	var buf bytes.Buffer
	for _, v := range []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 262144, 101} {
		_ = binary.Write(&buf, binary.LittleEndian, v) // bytes.Buffer writes do not fail
	}
	for i, p := range packets {
		_ = binary.Write(&buf, binary.LittleEndian, []uint32{1700000000, uint32(i * 1000), uint32(len(p)), uint32(len(p))})
		buf.Write(p)
	}
	return buf.Bytes()
}
