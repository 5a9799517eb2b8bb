package ue_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/gnb"
	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/amf"
	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/smf"
	"github.com/corebox/corebox/nf/5gc/udm/udmtest"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sctp"
)

const coreWait = 10 * time.Second

// realCore is the 5G core of corebox in-process: UDR, UDM, AUSF, AMF, SMF
// and a UPF whose N6 is in memory, with subscribers 1..subs provisioned.
type realCore struct {
	amf *amf.NF
	upf *upf.NF
}

func startRealCore(t *testing.T, subs int) realCore {
	t.Helper()
	r, _ := udrtest.Start(t, udrtest.Config(t))
	for i := 1; i <= subs; i++ {
		udrtest.Provision(t, r, udr.Provision{IMSI: fmt.Sprintf("00101%010d", i), K: testK, OPc: testOPc, SQN: "20"})
	}
	m, _ := udmtest.Start(t, udmtest.Config(r.SBIURL()))

	acfg := ausf.DefaultConfig()
	acfg.Ops.Listen, acfg.SBI.Listen, acfg.UDM.URI = "127.0.0.1:0", "127.0.0.1:0", m.SBIURL()
	a := run(t, "ausf", must(ausf.New(acfg, quiet())))

	ucfg := upf.DefaultConfig()
	ucfg.Ops.Listen, ucfg.PFCP.Listen, ucfg.GTPU.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	ucfg.N6.Mode = upf.N6ModeMemory
	ucfg.UEPools = []upf.UEPool{{CIDR: "10.45.0.0/16", DNN: "internet"}}
	u := run(t, "upf", must(upf.New(ucfg, quiet())))

	scfg := smf.DefaultConfig()
	scfg.Ops.Listen, scfg.SBI.Listen, scfg.PFCP.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	scfg.Peers.UDM = m.SBIURL()
	scfg.UPFs = []smf.UPFConfig{{N4: u.Addrs().PFCP.String()}}
	scfg.DNNs = []smf.DNNConfig{{DNN: "internet", SST: 1, Pool: "10.45.0.0/16"}}
	s := run(t, "smf", must(smf.New(scfg, quiet())))

	mcfg := amf.DefaultConfig()
	mcfg.Ops.Listen, mcfg.SBI.Listen, mcfg.N2.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	mcfg.N2.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	mcfg.Peers.AUSF, mcfg.Peers.UDM, mcfg.Peers.SMF = a.SBIURL(), m.SBIURL(), s.SBI().URL()
	return realCore{amf: run(t, "amf", must(amf.New(mcfg, quiet()))), upf: u}
}

func quiet() nfkit.Option { return nfkit.WithLogger(nfkittest.Quiet()) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// run starts an NF and waits until it is ready.
func run[N interface {
	nfkittest.Runner
	Ready() (bool, string)
}](t *testing.T, name string, n N) N {
	t.Helper()
	nfkittest.Start(t, n)
	nfkittest.Eventually(t, coreWait, name+" ready", func() bool { ok, _ := n.Ready(); return ok })
	return n
}

// echoDN answers UDP on the UPF's memory N6, as the dn's UDP echo does.
func echoDN(t *testing.T, n6 *upf.MemoryN6) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case pkt := <-n6.Uplink():
				p, err := ippkt.ParseUDP4(pkt)
				if err != nil {
					continue
				}
				reply, err := ippkt.AppendUDP4(nil, p.Dst, p.Src, p.ID, p.Payload)
				if err == nil {
					_ = n6.Inject(ctx, reply)
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// TestRealCore registers 10 UEs with the real AMF, AUSF, UDM and UDR,
// opens a session each through the real SMF and UPF, echoes UDP through
// the UPF's N6, goes idle, gets paged for downlink data and deregisters.
func TestRealCore(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole core in-process")
	}
	const n = 10
	core := startRealCore(t, n)
	echoDN(t, core.upf.MemoryN6())
	// The UPF sends to gNBs on port 2152: the gNB gets a loopback address
	// of its own where that port is free.
	cfg := gnb.DefaultConfig()
	cfg.Ops.Listen, cfg.Radio.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.AMF = gnb.AddrList{core.amf.N2Addr().String()}
	cfg.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	cfg.GTPU.Listen = freeGTPU(t).String()
	cfg.GTPU.PeerPort = int(core.upf.Addrs().GTPU.Port())
	g := run(t, "gnb", must(gnb.New(cfg, quiet())))
	l := lab{gnb: g, ues: startUEs(t, g, n)}

	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), n)
	allOK(t, step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}), n)
	traffic := simapi.TrafficRequest{Target: "10.100.0.1:7", Count: 5, Interval: simapi.Duration(10 * time.Millisecond), Size: 200}
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 5)

	allOK(t, step(t, l.ues, simapi.PathIdle, simapi.IdleRequest{}), n)
	nfkittest.Eventually(t, coreWait, "gnb releases the UEs", func() bool { return g.ConnectedUEs() == 0 })
	// Downlink data for idle UEs: the UPF buffers, the SMF and AMF page,
	// the UEs answer with a Service Request and get the packet.
	reg := l.ues.Ops().Registry()
	for _, s := range states(t, l.ues) {
		pkt := must(ippkt.AppendUDP4(nil, netip.MustParseAddrPort("10.100.0.1:7"),
			netip.AddrPortFrom(netip.MustParseAddr(s.Addresses[0]), 9), 1, []byte("wake up")))
		if err := core.upf.MemoryN6().Inject(context.Background(), pkt); err != nil {
			t.Fatal(err)
		}
	}
	nfkittest.Eventually(t, 3*coreWait, "every paged UE gets its packet", func() bool {
		return metric(t, reg, "corebox_ue_downlink_packets_total") >= 10*5+n
	})
	if got := metric(t, reg, "corebox_ue_pagings_total"); got != n {
		t.Errorf("pagings = %v, want %d", got, n)
	}
	checkTraffic(t, step(t, l.ues, simapi.PathTraffic, traffic), n, 5)
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), n)
}

// freeGTPU is port 2152 on a random 127.x.y.z address where it is free.
func freeGTPU(t *testing.T) netip.AddrPort {
	t.Helper()
	for range 10 {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, byte(rand.IntN(200) + 20), byte(rand.IntN(250) + 1),
			byte(rand.IntN(250) + 2)}), 2152)
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(a))
		if err == nil {
			_ = c.Close()
			return a
		}
	}
	t.Fatal("no loopback address with port 2152 free")
	return netip.AddrPort{}
}
