package n2

import "testing"

func BenchmarkEncodeInitialUEMessage(b *testing.B) {
	m := &InitialUEMessage{RANUENGAPID: 1, NASPDU: testNAS, Location: loc, RRCCause: RRCMOSignalling}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClassifyUplinkNASTransport(b *testing.B) {
	pdu, err := (&UplinkNASTransport{UEIDs: ids, NASPDU: testNAS, Location: loc}).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Classify(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeUplinkNASTransport(b *testing.B) {
	pdu, err := (&UplinkNASTransport{UEIDs: ids, NASPDU: testNAS, Location: loc}).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseUplinkNASTransport(pdu); err != nil {
			b.Fatal(err)
		}
	}
}
