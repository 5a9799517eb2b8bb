package naseps

import "testing"

func benchAttachRequest(b *testing.B) *AttachRequest {
	return roundTripCases(b)[0].msg.(*AttachRequest)
}

// BenchmarkMarshalAttachRequest is the baseline for the protected one.
func BenchmarkMarshalAttachRequest(b *testing.B) {
	m := benchAttachRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProtectMarshalAttachRequest: marshal, EEA2, EIA2, frame.
func BenchmarkProtectMarshalAttachRequest(b *testing.B) {
	m := benchAttachRequest(b)
	ue, _ := pair(b, EEA2, EIA2)
	b.ReportAllocs()
	for b.Loop() {
		ue.ULCount = 0 // stay clear of COUNT exhaustion however long it runs
		if _, err := ue.ProtectMessage(m, IntegrityProtectedAndCiphered); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAttachRequest is the baseline for the unprotected one.
func BenchmarkParseAttachRequest(b *testing.B) {
	plain := mustMarshal(b, benchAttachRequest(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(plain); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnprotectParseAttachRequest: verify EIA2, decipher EEA2, parse.
// The receiver's COUNT is reset each round so the same PDU is not a replay.
func BenchmarkUnprotectParseAttachRequest(b *testing.B) {
	ue, mme := pair(b, EEA2, EIA2)
	pdu, err := ue.ProtectMessage(benchAttachRequest(b), IntegrityProtectedAndCiphered)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		mme.ULCount = 0
		if _, _, err := mme.UnprotectMessage(pdu); err != nil {
			b.Fatal(err)
		}
	}
}
