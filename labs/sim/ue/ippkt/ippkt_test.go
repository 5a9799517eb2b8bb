package ippkt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

var (
	ue = netip.MustParseAddrPort("10.45.0.2:40000")
	dn = netip.MustParseAddrPort("10.100.0.1:7")
)

func TestUDP4RoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 7, 100, 1473, 60000} {
		payload := bytes.Repeat([]byte{0xA5}, size)
		pkt, err := AppendUDP4([]byte{0xEE}, ue, dn, 77, payload)
		if err != nil {
			t.Fatal(err)
		}
		if pkt[0] != 0xEE {
			t.Fatal("AppendUDP4 overwrote what was in the buffer")
		}
		pkt = pkt[1:]
		if len(pkt) != IPv4HeaderLen+UDPHeaderLen+size {
			t.Fatalf("size %d: packet of %d bytes", size, len(pkt))
		}
		if fold(sum(0, pkt[:IPv4HeaderLen])) != 0xFFFF {
			t.Errorf("size %d: IPv4 header checksum does not verify", size)
		}
		var pseudo [12]byte
		copy(pseudo[:8], pkt[12:20])
		pseudo[9] = protoUDP
		binary.BigEndian.PutUint16(pseudo[10:], uint16(UDPHeaderLen+size))
		if fold(sum(sum(0, pseudo[:]), pkt[IPv4HeaderLen:])) != 0xFFFF {
			t.Errorf("size %d: UDP checksum does not verify", size)
		}
		p, err := ParseUDP4(pkt)
		if err != nil || p.Src != ue || p.Dst != dn || p.ID != 77 || !bytes.Equal(p.Payload, payload) {
			t.Errorf("size %d: parsed %+v, %v", size, p, err)
		}
		if s, ok := Source4(pkt); !ok || s != ue.Addr() {
			t.Errorf("Source4 = %v %v", s, ok)
		}
		if d, ok := Dest4(pkt); !ok || d != dn.Addr() {
			t.Errorf("Dest4 = %v %v", d, ok)
		}
	}
}

func TestParseRejects(t *testing.T) {
	good, err := AppendUDP4(nil, ue, dn, 1, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, pkt := range map[string][]byte{
		"empty":      nil,
		"short":      good[:10],
		"ipv6":       edit(func(b []byte) []byte { b[0] = 0x60; return b }),
		"tcp":        edit(func(b []byte) []byte { b[9] = 6; return b }),
		"fragment":   edit(func(b []byte) []byte { b[6] = 0x20; return b }),
		"ihl":        edit(func(b []byte) []byte { b[0] = 0x44; return b }),
		"total long": edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[2:], 200); return b }),
		"udp long":   edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[24:], 100); return b }),
		"udp short":  edit(func(b []byte) []byte { binary.BigEndian.PutUint16(b[24:], 7); return b }),
	} {
		if _, err := ParseUDP4(pkt); !errors.Is(err, ErrNotUDP4) {
			t.Errorf("%s: err %v, want ErrNotUDP4", name, err)
		}
	}
	if _, ok := Source4([]byte{0x60}); ok {
		t.Error("Source4 took a non-IPv4 packet")
	}
}

func TestAppendRejects(t *testing.T) {
	if _, err := AppendUDP4(nil, netip.MustParseAddrPort("[::1]:1"), dn, 1, nil); err == nil {
		t.Error("IPv6 source accepted")
	}
	if _, err := AppendUDP4(nil, ue, dn, 1, make([]byte, 0xFFFF)); err == nil {
		t.Error("oversized payload accepted")
	}
}

// FuzzParseUDP4: any octets parse or fail cleanly, and what parses
// re-encodes to a packet that parses the same.
func FuzzParseUDP4(f *testing.F) {
	good, _ := AppendUDP4(nil, ue, dn, 1, []byte("hello"))
	f.Add(good)
	f.Add([]byte{0x45})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseUDP4(b)
		if err != nil {
			return
		}
		again, err := AppendUDP4(nil, p.Src, p.Dst, p.ID, p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseUDP4(again)
		if err != nil || q.Src != p.Src || q.Dst != p.Dst || !bytes.Equal(q.Payload, p.Payload) {
			t.Fatalf("re-encoded %+v as %+v (%v)", p, q, err)
		}
	})
}
