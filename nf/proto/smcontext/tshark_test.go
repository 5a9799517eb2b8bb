package smcontext

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// TestTsharkDecodesHTTP2 writes a CreateSMContext exchange and an
// N1N2MessageTransfer as HTTP/2 (h2c) into a pcap and has Wireshark decode
// them: the multipart body must split into its parts, the 5GSM part must
// reach the NAS-5GS dissector and the NGAP part the NGAP dissector,
// without malformed packets. It skips when tshark is not installed.
func TestTsharkDecodesHTTP2(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	nasPDU, err := (&nas5g.PDUSessionEstablishmentRequest{SessionHeader: nas5g.SessionHeader{PDUSessionID: 1, PTI: 1},
		MaxIntegrityRateUL: nas5g.FullDataRate, MaxIntegrityRateDL: nas5g.FullDataRate, PDUSessionType: nas5g.SessionIPv4}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	transfer, err := (&n2.SetupRequestTransfer{SessionAMBR: n2.AMBR{Uplink: 1e8, Downlink: 1e9},
		ULTunnel:       n2.GTPTunnel{Addr: netip.MustParseAddr("10.0.3.1"), TEID: 7},
		PDUSessionType: n2.SessionTypeIPv4, QoSFlows: []n2.QoSFlowRequest{{QFI: 1, FiveQI: 9, ARP: n2.ARP{Level: 8}}}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	create := &CreateRequest{Data: models.Smf_PDUSess_SmContextCreateData{Supi: "imsi-001010000000001",
		PduSessionId: 1, Dnn: "internet", SNssai: slice, AnType: models.AccessType_3_GPP_ACCESS}, N1SM: nasPDU}
	n1n2 := NewN1N2Request(1, slice, nasPDU, models.Amf_Comm_NgapIeType_PDU_RES_SETUP_REQ, transfer)
	var c h2conn
	c.request(t, 1, PathSMContexts, create)
	c.response(t, 1, "201", &CreateResponse{Data: models.Smf_PDUSess_SmContextCreatedData{PduSessionId: 1}})
	c.request(t, 3, N1N2Path("imsi-001010000000001"), n1n2)

	pcap := filepath.Join(t.TempDir(), "sbi.pcap")
	if err := os.WriteFile(pcap, c.pcap(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tshark, "-n", "-r", pcap, "-d", "tcp.port==8000,http2", "-V").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	text := string(out)
	if bad := regexp.MustCompile(`Malformed|Expert Info \(Error|Dissector bug`).FindString(text); bad != "" {
		t.Errorf("tshark reports %q:\n%s", bad, text)
	}
	for want, n := range map[string]int{
		"MIME Multipart Media Encapsulation, Type: multipart/related": 2, // the 201 is JSON alone
		"Non-Access-Stratum 5GS (NAS)PDU":                             2,
		"PDU session establishment request":                           2,
		"PDUSessionResourceSetupRequestTransfer":                      1,
		"Content-Id: n1SmMsg":                                         1,
	} {
		if got := strings.Count(text, want); got < n {
			t.Errorf("tshark output has %q %d times, want %d", want, got, n)
		}
	}
	if t.Failed() {
		t.Logf("tshark output:\n%s", text)
	}
}

// h2conn accumulates the two directions of one h2c connection as TCP
// segments.
type h2conn struct {
	segs           [][]byte
	cseq, sseq     uint32
	clientStarted  bool
	serverSettings bool
}

func (c *h2conn) request(t *testing.T, stream uint32, path string, m Encoder) {
	body, ctype, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	if !c.clientStarted {
		b = append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(0x4, 0, 0, nil)...)
		c.clientStarted = true
	}
	hdrs := hpack(":method", "POST", ":scheme", "http", ":path", path, ":authority", "10.0.0.1:8000",
		"content-type", ctype)
	b = append(b, frame(0x1, 0x4, stream, hdrs)...)
	b = append(b, frame(0x0, 0x1, stream, body)...)
	c.segs = append(c.segs, tcpSegment(true, c.cseq, b))
	c.cseq += uint32(len(b))
}

func (c *h2conn) response(t *testing.T, stream uint32, status string, m Encoder) {
	body, ctype, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	if !c.serverSettings {
		b = frame(0x4, 0, 0, nil)
		c.serverSettings = true
	}
	b = append(b, frame(0x1, 0x4, stream, hpack(":status", status, "content-type", ctype))...)
	b = append(b, frame(0x0, 0x1, stream, body)...)
	c.segs = append(c.segs, tcpSegment(false, c.sseq, b))
	c.sseq += uint32(len(b))
}

// frame is one HTTP/2 frame (RFC 9113 §4.1).
func frame(typ, flags byte, stream uint32, payload []byte) []byte {
	n := len(payload)
	h := []byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags}
	h = binary.BigEndian.AppendUint32(h, stream)
	return append(h, payload...)
}

// hpack encodes name/value pairs as literals without indexing (RFC 7541
// §6.2.2), no Huffman: enough for Wireshark to read them.
func hpack(kv ...string) []byte {
	var b []byte
	str := func(s string) {
		if len(s) < 127 {
			b = append(b, byte(len(s)))
		} else {
			b = append(b, 127)
			for v := len(s) - 127; ; v >>= 7 {
				if v < 128 {
					b = append(b, byte(v))
					break
				}
				b = append(b, byte(v&0x7f|0x80))
			}
		}
		b = append(b, s...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, 0)
		str(kv[i])
		str(kv[i+1])
	}
	return b
}

// tcpSegment is an IPv4+TCP packet between 10.0.0.2:40000 (client) and
// 10.0.0.1:8000 (server); checksums are left zero (Wireshark does not
// check them by default).
func tcpSegment(fromClient bool, seq uint32, payload []byte) []byte {
	src, dst := [4]byte{10, 0, 0, 2}, [4]byte{10, 0, 0, 1}
	sport, dport := uint16(40000), uint16(8000)
	if !fromClient {
		src, dst, sport, dport = dst, src, dport, sport
	}
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
	ip = append(append(ip, src[:]...), dst[:]...)
	tcp := binary.BigEndian.AppendUint16(nil, sport)
	tcp = binary.BigEndian.AppendUint16(tcp, dport)
	tcp = binary.BigEndian.AppendUint32(tcp, seq+1)
	tcp = binary.BigEndian.AppendUint32(tcp, 1)
	tcp = append(tcp, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0) // data offset 5, PSH+ACK
	return append(append(ip, tcp...), payload...)
}

// pcap writes the segments with link type RAW (101, bare IPv4).
func (c *h2conn) pcap() []byte {
	var buf bytes.Buffer
	for _, v := range []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 262144, 101} {
		_ = binary.Write(&buf, binary.LittleEndian, v)
	}
	for i, s := range c.segs {
		_ = binary.Write(&buf, binary.LittleEndian, []uint32{uint32(i + 1), 0, uint32(len(s)), uint32(len(s))})
		buf.Write(s)
	}
	return buf.Bytes()
}
