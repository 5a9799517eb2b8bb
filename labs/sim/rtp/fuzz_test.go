package rtp

import "testing"

func FuzzParse(f *testing.F) {
	f.Add(join(header(0x80), []byte{0xff, 0xfe}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		if len(p.Payload) > len(b)-headerLen {
			t.Fatalf("payload of %d bytes from a %d-byte packet", len(p.Payload), len(b))
		}
		again, err := p.Marshal()
		if err != nil {
			t.Fatalf("Marshal of parsed %+v: %v", p, err)
		}
		q, err := Parse(again)
		if err != nil {
			t.Fatalf("Parse of re-marshalled %x: %v", again, err)
		}
		assertPacket(t, q, p)
	})
}
