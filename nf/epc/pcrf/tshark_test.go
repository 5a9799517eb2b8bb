package pcrf_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// TestTsharkGxRx records a real Gx and Rx exchange (CER/CEA, CCR-I,
// AAR with the RAR/RAA it causes, CCR-U, STR with its RAR/RAA, CCR-T)
// through a loopback proxy, writes it as a pcap and has Wireshark decode
// it: no malformed frame, no expert warning, the commands in order, and
// the dedicated bearer's fields as Wireshark reads them.
func TestTsharkGxRx(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	nfkittest.NoLeaks(t)
	n, _ := pcrftest.Start(t, pcrftest.Config())
	proxy := newRecordingProxy(t, n.DiameterAddr().String())
	pgw := pcrftest.NewPGW(t, proxy.addr(), pgw1)
	af := pcrftest.NewAF(t, proxy.addr(), pcscf)

	ue := "10.46.0.2"
	gx, _ := open(t, pgw, "ims", ue)
	rx := af.NewSessionID()
	if a := authorize(t, af, rx, ue, audio(ue, 41000)); a.Result != diameter.Success {
		t.Fatalf("AAA %v", a.Result)
	}
	if a, err := pgw.Update(bg, gx); err != nil || a.Result != diameter.Success {
		t.Fatalf("CCA-U %v %v", a, err)
	}
	if a := terminateRx(t, af, rx); a.Result != diameter.Success {
		t.Fatalf("STA %v", a.Result)
	}
	if a := terminateGx(t, pgw, gx); a.Result != diameter.Success {
		t.Fatalf("CCA-T %v", a.Result)
	}
	pcap := filepath.Join(t.TempDir(), "gx-rx.pcap")
	if err := os.WriteFile(pcap, proxy.pcap(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(bg, 60*time.Second)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, tshark, append([]string{"-n", "-r", pcap}, args...)...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	const flagged = "_ws.malformed || _ws.expert.severity >= warning"
	if out := run("-Y", flagged); out != "" {
		t.Errorf("tshark flags frames:\n%s\n%s", out, run("-V", "-Y", flagged))
	}
	commands := func(port string) string {
		var got []string
		out := run("-Y", "diameter && tcp.port == "+port, "-T", "fields", "-E", "occurrence=a",
			"-e", "diameter.cmd.code", "-e", "diameter.flags.request")
		for _, line := range strings.Split(out, "\n") {
			f := strings.Split(line, "\t")
			codes, reqs := strings.Split(f[0], ","), strings.Split(f[1], ",")
			for i := range codes {
				got = append(got, codes[i]+"/"+reqs[i])
			}
		}
		return strings.Join(got, " ")
	}
	// CER, CCR-I, RAR (install), CCR-U, RAR (remove), CCR-T; each answered.
	if got, want := commands("40001"), "257/1 257/0 272/1 272/0 258/1 258/0 272/1 272/0 258/1 258/0 272/1 272/0"; got != want {
		t.Errorf("Gx commands %s, want %s", got, want)
	}
	if got, want := commands("40002"), "257/1 257/0 265/1 265/0 275/1 275/0"; got != want {
		t.Errorf("Rx commands %s, want %s", got, want)
	}
	rar := run("-Y", "diameter.cmd.code == 258 && diameter.flags.request == 1 && diameter.QoS-Class-Identifier", "-T", "fields",
		"-E", "occurrence=a", "-e", "diameter.QoS-Class-Identifier", "-e", "diameter.Guaranteed-Bitrate-UL",
		"-e", "diameter.Flow-Direction", "-e", "diameter.Flow-Description")
	for _, want := range []string{"1\t41000\t", "1,2,1,2\t", "permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000,permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000"} {
		if !strings.Contains(rar, want) {
			t.Errorf("install RAR fields lack %q:\n%s", want, rar)
		}
	}
	cca := run("-Y", "diameter.cmd.code == 272 && diameter.flags.request == 0 && diameter.QoS-Class-Identifier", "-T", "fields",
		"-e", "diameter.QoS-Class-Identifier", "-e", "diameter.APN-Aggregate-Max-Bitrate-UL")
	if cca != "5\t10000000" {
		t.Errorf("CCA-I QCI and APN-AMBR: %q, want 5 and 10000000", cca)
	}
}

// recordingProxy forwards TCP connections to a target and records what
// passes, in order: a capture of a real exchange without root.
type recordingProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
	segs  []segment
}

type segment struct {
	conn int  // accept order
	up   bool // client to server
	data []byte
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *recordingProxy) addr() string { return p.ln.Addr().String() }

func (p *recordingProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		id := len(p.conns) / 2
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(id, true, s, c) })
		p.wg.Go(func() { p.pipe(id, false, c, s) })
	}
}

// pipe copies from src to dst, recording; either side ending closes both.
func (p *recordingProxy) pipe(id int, up bool, dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.segs = append(p.segs, segment{conn: id, up: up, data: bytes.Clone(buf[:n])})
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF, or the other side closed
		}
	}
}

func (p *recordingProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// pcap is what passed, as TCP flows 10.0.0.(2+i):(40001+i) -> 10.0.0.1:3868,
// one per connection.
func (p *recordingProxy) pcap() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	flows := map[int]*tcpFlow{}
	var packets [][]byte
	for _, s := range p.segs {
		f := flows[s.conn]
		if f == nil {
			f = &tcpFlow{cli: [4]byte{10, 0, 0, byte(2 + s.conn)}, srv: [4]byte{10, 0, 0, 1}, cport: uint16(40001 + s.conn),
				cseq: 1000, sseq: 5000}
			flows[s.conn] = f
		}
		packets = append(packets, f.segment(s.up, s.data)...)
	}
	return writePcap(packets)
}

// tcpFlow writes one TCP connection from its handshake on, sequence and
// acknowledgement numbers kept, so Wireshark's TCP analysis has nothing
// to remark.
type tcpFlow struct {
	cli, srv   [4]byte
	cport      uint16
	cseq, sseq uint32
	started    bool
}

func (f *tcpFlow) segment(up bool, payload []byte) [][]byte {
	const syn, ack, psh = 0x02, 0x10, 0x08
	var out [][]byte
	if !f.started {
		f.started = true
		out = append(out, f.packet(true, f.cseq, 0, syn, nil))
		f.cseq++
		out = append(out, f.packet(false, f.sseq, f.cseq, syn|ack, nil))
		f.sseq++
		out = append(out, f.packet(true, f.cseq, f.sseq, ack, nil))
	}
	if up {
		out = append(out, f.packet(true, f.cseq, f.sseq, ack|psh, payload))
		f.cseq += uint32(len(payload))
	} else {
		out = append(out, f.packet(false, f.sseq, f.cseq, ack|psh, payload))
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

// writePcap wraps packets in a classic pcap of link type RAW (bare
// IPv4), one millisecond apart.
func writePcap(packets [][]byte) []byte {
	var buf bytes.Buffer
	for _, v := range []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 262144, 101} {
		_ = binary.Write(&buf, binary.LittleEndian, v) // bytes.Buffer writes do not fail
	}
	for i, p := range packets {
		_ = binary.Write(&buf, binary.LittleEndian, []uint32{1700000000 + uint32(i/1000), uint32(i%1000) * 1000,
			uint32(len(p)), uint32(len(p))})
		buf.Write(p)
	}
	return buf.Bytes()
}
