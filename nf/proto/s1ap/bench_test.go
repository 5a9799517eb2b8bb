package s1ap

import "testing"

func benchEncode(b *testing.B, m Message) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, m Message) {
	pdu := mustEncode(b, m)
	b.SetBytes(int64(len(pdu)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	benchInitialUE = &InitialUEMessage{ENBUES1APID: 1, NASPDU: nasAttachRequest, TAI: tai1, ECGI: ecgi1,
		RRCCause: RRCMOSignalling, STMSI: &stmsi}
	benchICS = &InitialContextSetupRequest{
		UEIDs: ids, UEAMBR: AMBR{DL: 1_000_000_000, UL: 500_000_000},
		ERABs:                []ERABToSetup{{ID: 5, QoS: qos9, Tunnel: sgw, NASPDU: nasAttachAccept}},
		SecurityCapabilities: UESecurityCapabilities{Encryption: 0xE000, Integrity: 0xE000}, SecurityKey: key,
	}
)

func BenchmarkEncodeInitialUEMessage(b *testing.B)           { benchEncode(b, benchInitialUE) }
func BenchmarkDecodeInitialUEMessage(b *testing.B)           { benchDecode(b, benchInitialUE) }
func BenchmarkEncodeInitialContextSetupRequest(b *testing.B) { benchEncode(b, benchICS) }
func BenchmarkDecodeInitialContextSetupRequest(b *testing.B) { benchDecode(b, benchICS) }

func BenchmarkClassifyUplinkNASTransport(b *testing.B) {
	pdu := mustEncode(b, &UplinkNASTransport{UEIDs: ids, NASPDU: nasAuthResponse, ECGI: ecgi1, TAI: tai1})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Classify(pdu); err != nil {
			b.Fatal(err)
		}
	}
}
