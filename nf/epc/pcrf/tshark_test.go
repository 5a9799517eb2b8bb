package pcrf_test

import (
	"bytes"
	"context"
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
	flows := map[int]*nfkittest.TCPFlow{}
	var packets [][]byte
	for _, s := range p.segs {
		f := flows[s.conn]
		if f == nil {
			f = nfkittest.NewTCPFlow([4]byte{10, 0, 0, byte(2 + s.conn)}, [4]byte{10, 0, 0, 1}, uint16(40001+s.conn), 3868)
			flows[s.conn] = f
		}
		packets = append(packets, f.Segment(s.up, s.data)...)
	}
	return nfkittest.RawPcap(packets)
}
