package imsinterop

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/subscribers"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/ims/icscf"
	"github.com/corebox/corebox/nf/ims/pcscf"
	"github.com/corebox/corebox/nf/ims/scscf"
	"github.com/corebox/corebox/nf/ims/scscf/scscftest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// SIPp 3.6.1 takes aka_K and aka_OP as the bytes of their text (its
// "0x" form is not NUL-terminated and reads past the key), so the keys
// are 16 printable characters and the UDR gets their hex. Its aka_AMF is
// text too; left out it is 00 00, the AMF of an IMS vector (the HSS
// clears the EPS separation bit of the provisioned 8000).
const (
	akaK  = "imsInterop-K-001"
	akaOP = "imsInterop-OP-01"
	// wrongK is another key: SIPp then finds the AUTN's MAC wrong.
	wrongK = "imsInterop-K-BAD"
)

// Addresses of the NFs: one loopback address each, ports picked free.
const (
	scscfHost = "127.0.0.3"
	icscfHost = "127.0.0.4"
	pcscfHost = "127.0.0.2"
	uacHost   = "127.0.0.10"
	uasHost   = "127.0.0.11"
)

// user is a provisioned subscriber and its IMS identities.
type user struct {
	IMSI string
}

func (u user) IMPI() string { return u.IMSI + "@" + scscftest.Domain }
func (u user) IMPU() string { return "sip:" + u.IMPI() }

var (
	alice = user{IMSI: "001010000000001"} // the caller
	bob   = user{IMSI: "001010000000002"} // the callee
)

// ims is the core under test: every NF in this process.
type ims struct {
	hss   *hss.HSS
	scscf *scscf.SCSCF
	icscf *icscf.ICSCF
	pcscf *pcscf.PCSCF
	// sip is the P-CSCF's UDP address: the only one SIPp talks to.
	sip string
}

// startIMS runs UDR, HSS, S-CSCF, I-CSCF and P-CSCF on loopback with the
// users provisioned (K and OP, not OPc).
func startIMS(t testing.TB, users ...user) *ims {
	t.Helper()
	u, _ := udrtest.Start(t, udrtest.Config(t))
	provision(t, u.Ops().Addr().String(), users...)
	h, _ := hsstest.Start(t, hsstest.Config(u.SBIURL()))

	scfg := scscftest.Config(h.DiameterAddr().String())
	scfg.SIP.Address, scfg.SIP.Transports = scscfHost, []string{"udp"}
	scfg.Ops.Listen = scscfHost + ":0"
	s := scscftest.Start(t, scfg)

	icfg := icscf.DefaultConfig()
	icfg.Ops.Listen = icscfHost + ":0"
	icfg.SIP.Address, icfg.SIP.Port, icfg.SIP.Transports = icscfHost, 0, []string{"udp"}
	icfg.Cx.HSS = h.DiameterAddr().String()
	icfg.SCSCFs = []icscf.SCSCFConfig{{URI: s.ServerName()}}
	i, err := icscf.New(icfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, i)
	nfkittest.Eventually(t, 10*time.Second, "icscf ready", func() bool { ok, _ := i.Ready(); return ok })

	// SIPp is no UE of the EPC: it has no IMS bearer and there is no
	// PCRF here, so Rx is off and, were it on, optional.
	pcfg := pcscf.DefaultConfig()
	pcfg.Ops.Listen = pcscfHost + ":0"
	pcfg.SIP.Host, pcfg.SIP.Port, pcfg.SIP.Transports = pcscfHost, 0, []string{"udp"}
	pcfg.SIP.ICSCF = "sip:" + i.SIPAddr("udp")
	pcfg.Rx.PCRF, pcfg.Rx.Policy = "", "optional"
	p, err := pcscf.New(pcfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, p)
	nfkittest.Eventually(t, 10*time.Second, "pcscf ready", func() bool { ok, _ := p.Ready(); return ok })
	return &ims{hss: h, scscf: s, icscf: i, pcscf: p, sip: p.SIPAddr("udp")}
}

// provision adds users through the UDR's provisioning API with OP.
func provision(t testing.TB, udrOps string, users ...user) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := subscribers.New(udrOps)
	for _, u := range users {
		s := subscribers.Subscriber{IMSI: u.IMSI, K: hex.EncodeToString([]byte(akaK)),
			OP: hex.EncodeToString([]byte(akaOP)), SQN: "000000000020",
			DNNs: []subscribers.DNN{{DNN: "ims", SST: 1, Default: true}}}
		if err := c.Add(ctx, s, false); err != nil {
			t.Fatalf("provision %s: %v", u.IMSI, err)
		}
	}
}

// hssState is the HSS's IMS registration state of u.
func (n *ims) hssState(u user) hss.IMSState {
	r, ok := n.hss.IMSRegistration(u.IMSI)
	if !ok {
		return hss.IMSNotRegistered
	}
	return r.State
}

// waitRegistered waits until S-CSCF and HSS both hold u registered.
func (n *ims) waitRegistered(t testing.TB, u user) {
	t.Helper()
	nfkittest.Eventually(t, 10*time.Second, u.IMSI+" registered at S-CSCF and HSS", func() bool {
		return n.scscf.Registered(u.IMPU()) && n.hssState(u) == hss.IMSRegistered
	})
}
