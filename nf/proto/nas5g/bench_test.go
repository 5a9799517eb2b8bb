package nas5g

import "testing"

// BenchmarkProtectUnprotect: one 128-NEA2/128-NIA2 PDU out and back in.
func BenchmarkProtectUnprotect(b *testing.B) {
	ue, amf := pair(NEA2, NIA2)
	plain := make([]byte, 64)
	copy(plain, samplePlain)
	b.ReportAllocs()
	for b.Loop() {
		pdu, err := ue.Protect(plain, IntegrityProtectedAndCiphered)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := amf.Unprotect(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRegistrationRequest(b *testing.B) {
	out, _ := NullSchemeOutput("0000000001")
	plain, err := (&RegistrationRequest{RegistrationType: RegistrationInitial, NgKSI: NoKey,
		Identity:           UEIdentity{SUCI: &SUCI{PLMN: PLMN{MCC: "001", MNC: "01"}, RoutingIndicator: "0", SchemeOutput: out}},
		SecurityCapability: &UESecurityCapability{EA: 0xF0, IA: 0xF0}}).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRegistrationRequest(plain); err != nil {
			b.Fatal(err)
		}
	}
}
