package amf

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	gnbsim "github.com/corebox/corebox/labs/sim/gnb"
	uesim "github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/smf"
	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// ready runs an NF until the test ends and waits for its readiness.
func ready[N interface {
	nfkittest.Runner
	Ready() (bool, string)
}](t *testing.T, what string, n N, err error) N {
	t.Helper()
	must(t, err)
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, waitFor, what+" ready", func() bool { ok, _ := n.Ready(); return ok })
	return n
}

// TestWithSimulators drives the AMF with the lab's gNB and UE simulators
// (labs/sim/gnb, labs/sim/ue) and the real SMF, UPF, AUSF, UDM and UDR:
// registration, PDU sessions, idle, paging on downlink data with the
// Service Request that answers it, and deregistration.
func TestWithSimulators(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole core in-process")
	}
	const n = 5
	ch := startChain(t, n)
	ucfg := upf.DefaultConfig()
	ucfg.Ops.Listen, ucfg.PFCP.Listen, ucfg.GTPU.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	ucfg.N6.Mode = upf.N6ModeMemory
	ucfg.UEPools = []upf.UEPool{{CIDR: "10.45.0.0/16", DNN: "internet"}}
	u, err := upf.New(ucfg, nfkitQuiet())
	u = ready(t, "upf", u, err)
	scfg := smf.DefaultConfig()
	scfg.Ops.Listen, scfg.SBI.Listen, scfg.PFCP.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	scfg.Peers.UDM = ch.udm
	scfg.UPFs = []smf.UPFConfig{{N4: u.Addrs().PFCP.String()}}
	scfg.DNNs = []smf.DNNConfig{{DNN: "internet", SST: 1, Pool: "10.45.0.0/16"}}
	s, err := smf.New(scfg, nfkitQuiet())
	s = ready(t, "smf", s, err)
	amf := startAMF(t, testConfig(ch.ausf.SBIURL(), ch.udm, s.SBI().URL()))

	gcfg := gnbsim.DefaultConfig()
	gcfg.Ops.Listen, gcfg.Radio.Listen = "127.0.0.1:0", "127.0.0.1:0"
	gcfg.AMF = gnbsim.AddrList{amf.N2Addr().String()}
	gcfg.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	gcfg.GTPU.Listen = freeGTPU(t).String()
	gcfg.GTPU.PeerPort = int(u.Addrs().GTPU.Port())
	g, err := gnbsim.New(gcfg, nfkitQuiet())
	g = ready(t, "gnb", g, err)
	ecfg := uesim.DefaultConfig()
	ecfg.Ops.Listen, ecfg.Radio.Listen, ecfg.GNB = "127.0.0.1:0", "127.0.0.1:0", g.RadioAddr().String()
	ecfg.DataPlane.Mode, ecfg.UEs.Count = uesim.ModeMemory, n
	sims, err := uesim.New(ecfg, nfkitQuiet())
	sims = ready(t, "ue", sims, err)
	waitMetric(t, amf, "corebox_amf_connected_gnbs", 1)

	stepOK(t, sims, simapi.PathRegister, simapi.RegisterRequest{}, n)
	waitMetric(t, amf, "corebox_amf_registered_ues", n)
	stepOK(t, sims, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, n)
	waitMetric(t, amf, `corebox_amf_pdu_session_requests_total{result="forwarded"}`, n)
	stepOK(t, sims, simapi.PathIdle, simapi.IdleRequest{}, n)
	waitMetric(t, amf, "corebox_amf_connected_ues", 0)

	// Downlink data for the idle UEs: the SMF asks the AMF, which pages.
	var list []simapi.UEState
	code, body := nfkittest.Do(t, "GET", "http://"+sims.Ops().Addr().String()+simapi.PathUEs, "")
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != n {
		t.Fatalf("GET /ues: %d %s", code, body)
	}
	for _, st := range list {
		if len(st.Addresses) == 0 {
			t.Fatalf("%s has no session address", st.SUPI)
		}
		pkt, err := ippkt.AppendUDP4(nil, netip.MustParseAddrPort("10.100.0.1:7"),
			netip.AddrPortFrom(netip.MustParseAddr(st.Addresses[0]), 9), 1, []byte("wake up"))
		must(t, err)
		must(t, u.MemoryN6().Inject(context.Background(), pkt))
	}
	waitMetric(t, amf, "corebox_amf_paging_total", n)
	waitMetric(t, amf, "corebox_amf_connected_ues", n)
	stepOK(t, sims, simapi.PathDeregister, simapi.DeregisterRequest{}, n)
	waitMetric(t, amf, "corebox_amf_registered_ues", 0)
}

func stepOK(t *testing.T, sims *uesim.NF, path string, req any, want int) {
	t.Helper()
	b, err := json.Marshal(req)
	must(t, err)
	code, out := nfkittest.Do(t, "POST", "http://"+sims.Ops().Addr().String()+path, string(b))
	var res simapi.Results
	if code != 200 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("POST %s: %d %s", path, code, out)
	}
	if len(res.UEs) != want || res.Failed() != 0 {
		t.Fatalf("POST %s: %s", path, out)
	}
}

// freeGTPU is port 2152 on a random 127.x.y.z address where it is free
// (the UPF sends to gNBs on 2152).
func freeGTPU(t *testing.T) netip.AddrPort {
	t.Helper()
	for range 10 {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, byte(rand.IntN(200) + 20), byte(rand.IntN(250) + 1),
			byte(rand.IntN(250) + 2)}), 2152)
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(a))
		if err == nil {
			must(t, c.Close())
			return a
		}
	}
	t.Fatal("no loopback address with port 2152 free")
	return netip.AddrPort{}
}
