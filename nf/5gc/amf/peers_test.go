package amf

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/5gc/nssf/nssftest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// With an NSSF the allowed NSSAI is its answer. The subscriber has both
// slices and requests both; the AMF serves both, the NSSF only SD 010203,
// so only that one is allowed (the local rule would allow both).
func TestAllowedNSSAIFromNSSF(t *testing.T) {
	ncfg := nssftest.Config()
	ncfg.Slices = []nssf.SliceConfig{{SST: 1, SD: "010203"}}
	ns, _ := nssftest.Start(t, ncfg)
	e := newEnv(t, 0, func(c *Config) { c.Peers.NSSF = ns.SBI().URL() })
	udrtest.Provision(t, e.ch.udr, udr.Provision{IMSI: imsi(1), K: testK, OPc: testOPc, SQN: "20",
		DNNs: []udr.DNN{{DNN: "internet", SST: 1, Default: true}, {DNN: "internet", SST: 1, SD: "010203"}}})
	u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
	u.slices = []nas5g.SNSSAI{sliceNoSD, sliceSD}
	_, err := u.register()
	must(t, err)
	if len(u.allowedNSSAI) != 1 || u.allowedNSSAI[0] != sliceSD {
		t.Fatalf("allowed NSSAI %v, want [%v]", u.allowedNSSAI, sliceSD)
	}
}

// startStub serves h as a peer NF on loopback.
func startStub(t *testing.T, h http.Handler) string {
	t.Helper()
	srv, err := sbi.NewServer(sbi.ServerConfig{Listen: "127.0.0.1:0"}, nfkittest.Quiet())
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stub: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// A UDM without Nudm-UECM/SDM (every request 501): the registration is
// rejected (#111), unless peers.udm_optional, which logs and accepts with
// the configured slices.
func TestUDMOptional(t *testing.T) {
	stub := startStub(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotImplemented, "", "no such service here")
	}))
	for _, optional := range []bool{false, true} {
		e := newEnv(t, 1, func(c *Config) { c.Peers.UDM, c.Peers.UDMOptional = stub, optional })
		u := newTestUE(t, newGNB(t, e.amf), 1, testK, 0)
		_, err := u.register()
		if !optional {
			wantReject(t, err, nas5g.MsgRegistrationReject, nas5g.CauseProtocolErrorUnspecified)
			continue
		}
		must(t, err)
		if len(u.allowedNSSAI) != 1 || u.allowedNSSAI[0] != sliceSD {
			t.Errorf("allowed NSSAI %v, want the requested [%v]", u.allowedNSSAI, sliceSD)
		}
	}
}
