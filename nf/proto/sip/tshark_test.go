package sip

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corebox/corebox/nf/aka"
	"github.com/emiago/sipgo/sip"
)

// writePcap writes each payload as IPv4/UDP 5060 (linktype RAW, 101).
func writePcap(t *testing.T, path string, payloads [][]byte) {
	var b bytes.Buffer
	hdr := []uint32{0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101}
	for i, v := range hdr {
		if i == 1 {
			b.Write(binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, 2), 4))
			continue
		}
		b.Write(binary.LittleEndian.AppendUint32(nil, v))
	}
	for i, p := range payloads {
		pkt := make([]byte, 28+len(p))
		pkt[0], pkt[8], pkt[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(pkt[2:], uint16(len(pkt)))
		copy(pkt[12:], []byte{10, 0, 0, 1})
		copy(pkt[16:], []byte{10, 0, 0, 2})
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(binary.BigEndian.Uint16(pkt[j:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(pkt[10:], ^uint16(sum))
		binary.BigEndian.PutUint16(pkt[20:], 5060)
		binary.BigEndian.PutUint16(pkt[22:], 5060)
		binary.BigEndian.PutUint16(pkt[24:], uint16(8+len(p)))
		copy(pkt[28:], p)
		for _, v := range []uint32{uint32(i + 1), 0, uint32(len(pkt)), uint32(len(pkt))} {
			b.Write(binary.LittleEndian.AppendUint32(nil, v))
		}
		b.Write(pkt)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newReq(method sip.RequestMethod, body []byte, ctype string, hdrs ...sip.Header) *sip.Request {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", Host: "ims.example"})
	req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK"+strings.ToLower(string(method))))
	req.AppendHeader(sip.NewHeader("From", "<sip:alice@ims.example>;tag=a1"))
	req.AppendHeader(sip.NewHeader("To", "<sip:alice@ims.example>"))
	req.AppendHeader(sip.NewHeader("Call-ID", "call-1@10.0.0.1"))
	req.AppendHeader(sip.NewHeader("CSeq", "1 "+string(method)))
	req.AppendHeader(sip.NewHeader("Max-Forwards", "70"))
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	if ctype != "" {
		req.AppendHeader(sip.NewHeader("Content-Type", ctype))
	}
	req.SetBody(body)
	return req
}

func TestTsharkDecodes(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	f := newAKAFixture(t, testK, testK, 0)
	v, c := challengeFor(t, f, aka.NewSQN(1, 0))
	ans := answer(t, relay(t, c), f.card)
	offer, _ := NewAudioOffer(1, netip.MustParseAddr("10.0.0.1"), 4000, CodecPCMU, CodecPCMA)
	answerSDP, _ := NewAudioAnswer(offer, 2, netip.MustParseAddr("10.0.0.2"), 5000)
	reginfo, err := NewRegInfoNotify(0, RegInfoFull, "sip:alice@ims.example", "r1",
		ContactChange{ID: "c1", URI: "sip:alice@10.0.0.1", Event: ContactEventRegistered, Expires: 3600}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pani := PAccessNetworkInfo{AccessType: AccessType3GPPEUTRANFDD, Params: Params{{Name: ParamUTRANCellID3GPP, Value: "00101000100000001"}}}
	reg1 := newReq(sip.REGISTER, nil, "", sip.NewHeader(HeaderAuthorization, InitialAuthorization("alice@ims.example", "ims.example", "sip:ims.example").String()),
		sip.NewHeader(HeaderPAccessNetworkInfo, pani.String()))
	r401 := sip.NewResponseFromRequest(reg1, 401, "Unauthorized", nil)
	r401.AppendHeader(sip.NewHeader(HeaderWWWAuthenticate, c.WithoutKeys().String()))
	reg2 := newReq(sip.REGISTER, nil, "", sip.NewHeader(HeaderAuthorization, ans.Authorization.String()))
	if err := VerifyAKA(ans.Authorization, "REGISTER", c, v.XRES[:]); err != nil {
		t.Fatal(err)
	}
	r200 := sip.NewResponseFromRequest(reg2, 200, "OK", nil)
	r200.AppendHeader(sip.NewHeader(HeaderServiceRoute, NameAddrList{{URI: "sip:orig@scscf.ims.example;lr"}}.String()))
	r200.AppendHeader(sip.NewHeader(HeaderPAssertedIdentity, NameAddrList{{Display: "Alice", URI: "sip:alice@ims.example"}}.String()))
	inv := newReq(sip.INVITE, []byte(offer.String()), ContentTypeSDP,
		sip.NewHeader(HeaderPChargingVector, PChargingVector{ICID: "icid1", OrigIOI: "home.net"}.String()),
		sip.NewHeader("Contact", "<sip:alice@10.0.0.1>"))
	r183 := sip.NewResponseFromRequest(inv, 183, "Session Progress", []byte(answerSDP.String()))
	r183.AppendHeader(sip.NewHeader("Content-Type", ContentTypeSDP))
	r200i := sip.NewResponseFromRequest(inv, 200, "OK", nil)
	bye := newReq(sip.BYE, nil, "")
	notify := newReq(sip.NOTIFY, reginfo, ContentTypeRegInfo, sip.NewHeader("Event", "reg"), sip.NewHeader("Subscription-State", "active;expires=3600"))
	msgs := []sip.Message{reg1, r401, reg2, r200, inv, r183, r200i, bye, notify}
	var payloads [][]byte
	for _, m := range msgs {
		payloads = append(payloads, []byte(m.String()))
	}
	path := filepath.Join(t.TempDir(), "sip.pcap")
	writePcap(t, path, payloads)

	out, err := exec.Command("tshark", "-r", path, "-Y", "_ws.malformed || _ws.expert.severity >= warning").Output()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("tshark reports problems (%v):\n%s", err, out)
	}
	out, err = exec.Command("tshark", "-r", path, "-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "REGISTER\t\n\t401\nREGISTER\t\n\t200\nINVITE\t\n\t183\n\t200\nBYE\t\nNOTIFY\t\n"
	got := strings.ReplaceAll(string(out), "\r", "")
	if got != want {
		t.Fatalf("tshark fields:\n%q\nwant\n%q", got, want)
	}
}
