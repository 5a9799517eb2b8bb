package sctp

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ngSetupRequest is a valid NGAP NGSetupRequest (APER), used where
// Wireshark's NGAP dissector must find nothing malformed.
var ngSetupRequest = []byte{
	0x00, 0x15, 0x00, 0x43, 0x00, 0x00, 0x04, 0x00, 0x1b, 0x00, 0x09,
	0x00, 0x13, 0x30, 0x01, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x52,
	0x40, 0x11, 0x07, 0x00, 0x67, 0x6e, 0x62, 0x2e, 0x73, 0x70, 0x69,
	0x72, 0x65, 0x6e, 0x74, 0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x66, 0x00,
	0x15, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x13, 0x30, 0x01, 0x00,
	0x01, 0x10, 0x08, 0x01, 0x02, 0x03, 0x10, 0x08, 0x11, 0x22, 0x33,
	0x00, 0x15, 0x40, 0x01, 0x00,
}

// TestWireIsPlainSCTP: pion's first datagram is a bare SCTP packet (no
// DTLS or other framing): common header, valid CRC32c, a lone INIT.
func TestWireIsPlainSCTP(t *testing.T) {
	checkGoroutines(t)
	peer := rawPeer(t)
	ctx, cancel := context.WithCancel(context.Background())
	dialed := make(chan error, 1)
	go func() {
		_, err := Dial(ctx, Config{Mode: ModeUDP}, "", peer.LocalAddr().String(), testLog(t))
		dialed <- err
	}()
	defer func() {
		cancel()
		<-dialed
	}()
	if err := peer.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, err := peer.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	v, h := inspect(buf[:n])
	if v != openAssociation || h.srcPort != 5000 || h.dstPort != 5000 || h.vtag != 0 {
		t.Fatalf("first datagram % x: verdict %d header %+v", buf[:min(n, 32)], v, h)
	}
}

// TestTsharkDecodesCapture records a whole association (handshake, NGAP
// both ways, a fragmented message, heartbeats, shutdown) through a relay,
// writes it as a pcap and has Wireshark decode it: every packet SCTP with
// a good CRC32c, NGAP found by PPID, nothing malformed.
func TestTsharkDecodesCapture(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	checkGoroutines(t)
	l := listenTest(t, udpOptions{})
	r := newRelay(t, l.Addr().String())
	client := dialTest(t, r.addr())
	server := acceptTest(t, l)

	big := bytes.Repeat([]byte("fragment "), 600) // 5400 bytes: 5 DATA chunks
	if err := client.WriteMsg(ngSetupRequest, Info{Stream: 0, PPID: PPIDNGAP}); err != nil {
		t.Fatal(err)
	}
	if err := client.WriteMsg(big, Info{Stream: 3, PPID: 4242}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, MaxMessageSize)
	for range 2 {
		n, info, err := server.ReadMsg(buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := server.WriteMsg(buf[:n], info); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, _, err := client.ReadMsg(buf); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "a heartbeat exchange", 10*testHeartbeat, func() bool {
		for _, rec := range r.captured() {
			if len(rec.b) > commonHeaderLen && rec.b[commonHeaderLen] == ctHeartbeatAck {
				return true
			}
		}
		return false
	})
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := readEnd(t, server, 5*time.Second); !isEOF(err) {
		t.Fatalf("server read %v", err)
	}

	pcap := filepath.Join(t.TempDir(), "n2.pcap")
	if err := os.WriteFile(pcap, pcapFile(r.captured()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-r", pcap, "-d", "udp.port==38412,sctp",
		"-o", "sctp.checksum:CRC-32C", "-T", "fields", "-E", "separator=|",
		"-e", "frame.number", "-e", "sctp.chunk_type", "-e", "sctp.checksum.status",
		"-e", "sctp.data_payload_proto_id", "-e", "ngap.procedureCode", "-e", "_ws.malformed",
	).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("tshark: %v\n%s", err, stderr)
	}
	var chunks []string
	ngap := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 6 || f[1] == "" {
			t.Fatalf("frame not decoded as SCTP: %q", line)
		}
		if f[2] != "1" { // Good
			t.Errorf("frame %s: checksum status %q", f[0], f[2])
		}
		if f[5] != "" {
			t.Errorf("frame %s malformed: %q", f[0], line)
		}
		if f[4] == "21" {
			ngap++
		}
		chunks = append(chunks, f[1])
	}
	all := strings.Join(chunks, " ")
	for name, typ := range map[string]string{"INIT": "1", "INIT ACK": "2", "DATA": "0", "SACK": "3",
		"HEARTBEAT": "4", "HEARTBEAT ACK": "5", "COOKIE ECHO": "10", "SHUTDOWN": "7", "SHUTDOWN COMPLETE": "14"} {
		if !strings.Contains(" "+strings.ReplaceAll(all, ",", " ")+" ", " "+typ+" ") {
			t.Errorf("no %s chunk in the capture: %s", name, all)
		}
	}
	if ngap < 2 {
		t.Errorf("NGSetupRequest decoded %d times, want 2 (both ways)\n%s", ngap, out)
	}
	t.Logf("tshark decoded %d frames: chunk types %s", len(chunks), all)
}

// pcapFile writes records as IPv4/UDP packets (link type RAW) between
// 10.0.0.1 (client) and 10.0.0.2:38412 (server).
func pcapFile(recs []record) []byte {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 101) // LINKTYPE_RAW
	b.Write(hdr)
	client, server := net.IPv4(10, 0, 0, 1).To4(), net.IPv4(10, 0, 0, 2).To4()
	for i, r := range recs {
		src, dst, sport, dport := client, server, uint16(40000), uint16(NGAPPort)
		if !r.fromClient {
			src, dst, sport, dport = server, client, dport, sport
		}
		pkt := ipv4UDP(uint16(i), src, dst, sport, dport, r.b)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(r.at.Unix()))
		binary.LittleEndian.PutUint32(rec[4:], uint32(r.at.Nanosecond()/1000))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(pkt)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(pkt)))
		b.Write(rec)
		b.Write(pkt)
	}
	return b.Bytes()
}

func ipv4UDP(id uint16, src, dst net.IP, sport, dport uint16, payload []byte) []byte {
	p := make([]byte, 28, 28+len(payload))
	p[0], p[8], p[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(p[2:], uint16(28+len(payload)))
	binary.BigEndian.PutUint16(p[4:], id)
	copy(p[12:], src)
	copy(p[16:], dst)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(p[10:], ^uint16(sum))
	binary.BigEndian.PutUint16(p[20:], sport)
	binary.BigEndian.PutUint16(p[22:], dport)
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload))) // checksum 0: none
	return append(p, payload...)
}
