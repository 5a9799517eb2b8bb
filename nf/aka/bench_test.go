package aka

import "testing"

// BenchmarkGenerateVector is one UDM/ARPF 5G HE AV: Milenage plus the
// KAUSF, XRES* and HXRES* derivations.
func BenchmarkGenerateVector(b *testing.B) {
	m := mustMilenage(b, testK, testOPc)
	r := RAND{1, 2, 3, 4}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.GenerateVector(NewSQN(uint64(i)+1, 0), AMF5G, testSNN, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUSIMAuthenticate is one UE-side check with RES*, KAUSF, KSEAF
// and KAMF; the fresh vectors are built before the timer starts.
func BenchmarkUSIMAuthenticate(b *testing.B) {
	m := mustMilenage(b, testK, testOPc)
	vs := make([]Vector, b.N)
	for i := range vs {
		v, err := m.GenerateVector(NewSQN(uint64(i)+1, 0), AMF5G, testSNN, RAND{byte(i), byte(i >> 8)})
		if err != nil {
			b.Fatal(err)
		}
		vs[i] = v
	}
	u := newTestUSIM(b, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range vs {
		if _, err := u.Authenticate(vs[i].RAND, vs[i].AUTN, testSNN, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkDeconceal(b *testing.B, scheme ProtectionScheme) {
	priv, pub := hnKeys(b, scheme)
	s, err := Conceal(specIMSI, "0000", scheme, 1, pub, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Deconceal(priv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeconcealProfileA is one SIDF de-concealment (X25519).
func BenchmarkDeconcealProfileA(b *testing.B) { benchmarkDeconceal(b, SchemeProfileA) }

// BenchmarkDeconcealProfileB is the same with P-256 point decompression.
func BenchmarkDeconcealProfileB(b *testing.B) { benchmarkDeconceal(b, SchemeProfileB) }
