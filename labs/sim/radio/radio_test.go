package radio

import (
	"bytes"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	cases := []Message{
		{Type: Connect, UE: 1, Body: []byte{0x7e, 0x00, 0x41}},
		{Type: UplinkNAS, UE: 0xffffffff, Body: []byte{0x7e}},
		{Type: DownlinkNAS, UE: 7, Body: []byte{0x7e, 0x02}},
		{Type: UplinkData, UE: 2, Session: 1, Body: bytes.Repeat([]byte{0x45}, 1400)},
		{Type: DownlinkData, UE: 2, Session: 15, Body: []byte{0x45, 0}},
		{Type: Release, UE: 3},
		{Type: Paging, Body: []byte{0x00, 0x41, 1, 2, 3, 4}},
		{Type: Inactive, UE: 9},
		{Type: SessionReady, UE: 9, Session: 1},
	}
	for _, m := range cases {
		b, err := Append(nil, m)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		if got.Type != m.Type || got.UE != m.UE || got.Session != m.Session || !bytes.Equal(got.Body, m.Body) {
			t.Errorf("%s: got %+v", m.Type, got)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, _ := Append(nil, Message{Type: UplinkNAS, UE: 1, Body: []byte{1, 2}})
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"short", good[:HeaderLen-1], ErrShort},
		{"version", mod(func(b []byte) []byte { b[0] = 2; return b }), ErrVersion},
		{"type", mod(func(b []byte) []byte { b[1] = 99; return b }), ErrType},
		{"length long", mod(func(b []byte) []byte { b[11] = 3; return b }), ErrLength},
		{"length short", mod(func(b []byte) []byte { return b[:len(b)-1] }), ErrLength},
		{"huge length", mod(func(b []byte) []byte { b[8] = 0xff; return b }), ErrLength},
		{"nas without body", mod(func(b []byte) []byte { b[11] = 0; return b[:HeaderLen] }), ErrBody},
		{"session on nas", mod(func(b []byte) []byte { b[3] = 1; return b }), ErrBody},
		{"release with body", mod(func(b []byte) []byte { b[1] = byte(Release); return b }), ErrBody},
		{"paging size", mod(func(b []byte) []byte { b[1] = byte(Paging); return b }), ErrBody},
	}
	for _, c := range cases {
		if _, err := Decode(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range []Message{{Type: Connect, UE: 1, Body: []byte{0x7e}}, {Type: UplinkData, Session: 1, UE: 2, Body: []byte{0x45}},
		{Type: Paging, Body: make([]byte, 6)}} {
		b, _ := Append(nil, m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Append(nil, m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n% x\n% x", b, again)
		}
	})
}
