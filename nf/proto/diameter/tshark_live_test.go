package diameter

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

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// recordingListener hands out connections that log every octet read and
// written, in order: a capture of a real exchange without root.
type recordingListener struct {
	net.Listener
	mu   sync.Mutex
	segs []recorded
}

type recorded struct {
	up   bool // client to server
	data []byte
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, l: l}, nil
}

func (l *recordingListener) add(up bool, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.segs = append(l.segs, recorded{up: up, data: append([]byte(nil), b...)})
}

type recordingConn struct {
	net.Conn
	l *recordingListener
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.l.add(true, b[:n])
	}
	return n, err
}

func (c *recordingConn) Write(b []byte) (int, error) {
	c.l.add(false, b)
	return c.Conn.Write(b)
}

// TestTsharkLiveExchange records what our Client and Server really send
// over loopback (CER/CEA through go-diameter's state machine, AIR/AIA,
// DWR/DWA, DPR/DPA) and has Wireshark decode it.
func TestTsharkLiveExchange(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	nfkittest.NoLeaks(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &recordingListener{Listener: inner}
	s := newServer(t, NopObserver{}, nil)
	s.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	addr := serveOn(t, s, ln)
	c := newClient(t, addr, mmeHost, nil)
	p := startClient(t, c)
	if _, err := p.Request(ctxT(t, 5*time.Second), air(t, imsi)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.request(ctxT(t, 5*time.Second), p.dwr()); err != nil {
		t.Fatal(err)
	}
	dpr := newMessage(AppBase, CmdDisconnectPeer, true)
	put(dpr, ident(avpOriginHost, mmeHost), ident(avpOriginRealm, realm), u32(avpDisconnectCause, DisconnectRebooting))
	if _, err := p.Request(ctxT(t, 5*time.Second), dpr); err != nil {
		t.Fatal(err)
	}
	<-p.Done()

	ln.mu.Lock()
	segs := ln.segs
	ln.mu.Unlock()
	flow := nfkittest.NewTCPFlow([4]byte{10, 0, 1, 2}, [4]byte{10, 0, 1, 3}, 40001, 3868)
	var packets [][]byte
	for _, sg := range segs {
		packets = append(packets, flow.Segment(sg.up, sg.data)...)
	}
	pcap := filepath.Join(t.TempDir(), "live.pcap")
	if err := os.WriteFile(pcap, nfkittest.RawPcap(packets), 0o644); err != nil {
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
	if out := strings.TrimSpace(run("-Y", flagged)); out != "" {
		t.Errorf("tshark flags frames:\n%s\n%s", out, run("-V", "-Y", flagged))
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(run("-Y", "diameter", "-T", "fields", "-E", "occurrence=a",
		"-e", "diameter.cmd.code", "-e", "diameter.flags.request")), "\n") {
		f := strings.Split(line, "\t")
		codes, reqs := strings.Split(f[0], ","), strings.Split(f[1], ",")
		for i := range codes {
			got = append(got, codes[i]+"/"+reqs[i])
		}
	}
	want := []string{"257/1", "257/0", "318/1", "318/0", "280/1", "280/0", "282/1", "282/0"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("tshark saw %v, want %v", got, want)
	}
	// The CEA names the server, and the CER our S6a application.
	hosts := run("-Y", "diameter.cmd.code == 257", "-T", "fields", "-e", "diameter.Origin-Host", "-e", "diameter.Auth-Application-Id")
	if !strings.Contains(hosts, mmeHost+"\t16777251") || !strings.Contains(hosts, hssHost) {
		t.Errorf("CER/CEA fields:\n%s", hosts)
	}
}
