// Package scscftest runs an HSS (on a UDR) and an S-CSCF in-process for
// tests, on loopback, and drives them with UEs: SIP user agents with a
// USIM answering IMS AKA.
package scscftest

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/ims/scscf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// TS 35.208 test set 1 keys, shared by every subscriber here.
const (
	K    = "465b5ce8b199b49faa5f0a2ee238a6bc"
	OPc  = "cd63cb71954a9f4e48a5994e37a02baf"
	SQN  = "20"
	MCC  = "001"
	MNC  = "01"
	Host = "127.0.0.1"
)

// Domain is the home IMS domain of MCC/MNC.
const Domain = "ims.mnc001.mcc001.3gppnetwork.org"

// Subscriber is one provisioned user.
type Subscriber struct {
	IMSI, MSISDN string
}

// IMPI is the private identity.
func (s Subscriber) IMPI() string { return s.IMSI + "@" + Domain }

// IMPU is the sip: public identity.
func (s Subscriber) IMPU() string { return "sip:" + s.IMSI + "@" + Domain }

// StartHSS runs a UDR holding subs and an HSS serving Cx on it.
func StartHSS(t testing.TB, subs ...Subscriber) *hss.HSS {
	t.Helper()
	u, _ := udrtest.Start(t, udrtest.Config(t))
	for _, s := range subs {
		udrtest.Provision(t, u, udr.Provision{IMSI: s.IMSI, K: K, OPc: OPc, SQN: SQN, MSISDN: s.MSISDN,
			DNNs: []udr.DNN{{DNN: "ims", SST: 1, Default: true}}})
	}
	cfg := hsstest.Config(u.SBIURL())
	h, _ := hsstest.Start(t, cfg)
	return h
}

// Config is the default S-CSCF config on loopback (free ports) towards
// the HSS at hssAddr, with short timers.
func Config(hssAddr string) scscf.Config {
	cfg := scscf.DefaultConfig()
	cfg.Ops.Listen = Host + ":0"
	cfg.SIP.Address = Host
	cfg.SIP.Port = 0
	cfg.Cx.HSS = hssAddr
	cfg.Registrar.MinExpires = 1
	cfg.Registrar.ExpiryCheck = 50 * time.Millisecond
	return cfg
}

// Start builds and runs an S-CSCF and waits until it is ready.
func Start(t testing.TB, cfg scscf.Config) *scscf.SCSCF {
	t.Helper()
	n, err := scscf.New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, 10*time.Second, "scscf ready", func() bool {
		ok, _ := n.Ready()
		return ok
	})
	return n
}

// MustHex decodes s or fails t.
func MustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Registered waits until the HSS holds imsi in state.
func Registered(t testing.TB, h *hss.HSS, imsi string, state hss.IMSState) {
	t.Helper()
	nfkittest.Eventually(t, 10*time.Second, "hss state "+string(state), func() bool {
		r, ok := h.IMSRegistration(imsi)
		if !ok {
			return state == hss.IMSNotRegistered
		}
		return r.State == state
	})
}
