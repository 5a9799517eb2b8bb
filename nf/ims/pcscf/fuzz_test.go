package pcscf

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

const fuzzUE = "127.0.0.2:5060"

// fuzzPCSCF is a P-CSCF (not running) holding one registration for
// fuzzUE.
func fuzzPCSCF(t testing.TB) *PCSCF {
	cfg := DefaultConfig()
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.ep.Close() })
	n.reg.put(&Registration{Token: "tfuzz", IMPUs: []string{impu, impuTel}, ServiceRoute: []string{"sip:orig@127.0.0.1:5062;lr"},
		Source: fuzzUE, Transport: "UDP", Expires: time.Now().Add(time.Hour)})
	return n
}

// FuzzPrepare feeds raw SIP from a registered UE's address to the request
// path (prepare) and responses to the REGISTER response path: malformed
// input must be refused, never panic.
func FuzzPrepare(f *testing.F) {
	n := fuzzPCSCF(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *sip.Request:
			m.SetSource(fuzzUE)
			p, err := n.prepare(m)
			if err == nil && p.fwd.Destination() == "" {
				t.Fatalf("planned %s without a destination", m.Method)
			}
		case *sip.Response:
			if m.Via() == nil || m.CSeq() == nil {
				return
			}
			reg := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: imsDomain})
			reg.AppendHeader(m.Via())
			n.onRegisterResponse(&plan{fwd: reg, dir: dirRegister, ue: "127.0.0.9:5060"}, m)
			for _, h := range m.GetHeaders("WWW-Authenticate") {
				if m.StatusCode == 401 && (containsParam(h.Value(), "ck=") || containsParam(h.Value(), "ik=")) {
					t.Fatalf("keys left in %q", h.Value())
				}
			}
		}
	})
}

// containsParam reports a digest parameter name at a parameter start.
func containsParam(v, name string) bool {
	for i := 0; i+len(name) <= len(v); i++ {
		if (i == 0 || v[i-1] == ' ' || v[i-1] == ',') && equalFoldASCII(v[i:i+len(name)], name) {
			return true
		}
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}
