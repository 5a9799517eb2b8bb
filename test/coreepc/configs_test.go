package coreepc

import (
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/enb"
	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/udr/udrtest"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/hss/hsstest"
	"github.com/corebox/corebox/nf/epc/mme"
	"github.com/corebox/corebox/nf/epc/mme/mmetest"
	"github.com/corebox/corebox/nf/epc/pcrf"
	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/pgw/pgwtest"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/epc/sgw/sgwtest"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/gtpv2c/gtpv2ctest"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// The NFs' configs on loopback: the NF packages' test configs (ops,
// Diameter and SBI servers on 127.0.0.1 with ports of the kernel's
// choosing; GTP nodes on their own address of the block, all on the
// test's GTP-C and GTP-U ports), with what this EPC adds: Gx from the
// PGW to the PCRF, EEA2/EIA2 only at the MME, the eNB simulator.

// Addresses of the block: the SGW and PGW take sgwtest's and pgwtest's,
// the MME's S11 and the eNB's S1-U mmetest's.
const (
	indexMME = mmetest.IndexMME
	indexENB = mmetest.IndexENB
)

// The service addresses the PGW gives in PCOs: on the data networks'
// side, as the shipped epc profile has them, not in the UE pools (the
// PGW's pools do not keep back addresses of their own APN's DNS or
// P-CSCF: see TestPoolSkipsServiceAddresses).
var (
	internetDNS = netip.MustParseAddr("10.100.0.53")
	imsDNS      = netip.MustParseAddr("10.101.0.53")
	pcscf       = netip.MustParseAddr("10.101.0.10")
)

// realm is the EPC's Diameter realm (the NFs' defaults).
const realm = pcrftest.EPCRealm

func quiet() nfkit.Option { return nfkit.WithLogger(nfkittest.Quiet()) }

var s1SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}

func udrConfig(t testing.TB) udr.Config { return udrtest.Config(t) }

func hssConfig(udrURI string) hss.Config { return hsstest.Config(udrURI) }

func pcrfConfig() pcrf.Config { return pcrftest.Config() }

// pgwConfig serves internet and ims (memory SGi devices, DNS servers and
// the ims P-CSCF) and asks the PCRF at pcrfAddr for every PDN
// connection's policy.
func pgwConfig(b gtpv2ctest.Block, gtpcPort, gtpuPort uint16, pcrfAddr string) pgw.Config {
	cfg := pgwtest.Config(b, gtpcPort, gtpuPort)
	cfg.APNs[0].DNS = []string{internetDNS.String()}
	cfg.APNs[1].DNS, cfg.APNs[1].PCSCF = []string{imsDNS.String()}, []string{pcscf.String()}
	cfg.Gx = pgw.GxConfig{Enabled: true, Peer: pcrfAddr, OriginHost: "pgw." + realm, OriginRealm: realm,
		DestinationRealm: realm, RequestTimeout: 5 * time.Second}
	return cfg
}

func sgwConfig(b gtpv2ctest.Block, gtpcPort, gtpuPort uint16) sgw.Config {
	return sgwtest.Config(b, gtpcPort, gtpuPort)
}

// mmeConfig offers EIA2 and EEA2 only: an accepted attach used them.
func mmeConfig(b gtpv2ctest.Block, gtpcPort uint16, hssAddr string) mme.Config {
	cfg := mmetest.Config(hssAddr, b.AddrPort(indexMME, gtpcPort),
		b.AddrPort(sgwtest.IndexS11, gtpcPort), b.Addr(pgwtest.Index))
	cfg.S1.SCTP = s1SCTP
	cfg.NAS.Integrity, cfg.NAS.Ciphering = []string{"EIA2"}, []string{"EEA2"}
	return cfg
}

// enbConfig has S1-U on the block's eNB address: the SGW sends downlink
// G-PDUs to the test's GTP-U port of the eNB's F-TEID.
func enbConfig(b gtpv2ctest.Block, gtpuPort uint16, mmeS1 string) enb.Config {
	cfg := enb.DefaultConfig()
	cfg.Ops.Listen, cfg.Radio.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.MME = enb.AddrList{mmeS1}
	cfg.SCTP = s1SCTP
	cfg.GTPU.Listen = b.AddrPort(indexENB, gtpuPort).String()
	cfg.GTPU.PeerPort = int(gtpuPort)
	return cfg
}

// ueConfig is an LTE UE simulator towards the eNB at enbRadio, with a
// memory data plane and EEA2/EIA2 as its only algorithms.
func ueConfig(enbRadio string, s ueSpec) ue.Config {
	cfg := ue.DefaultConfig()
	cfg.RAT, cfg.ENB = ue.RATLTE, enbRadio
	cfg.Ops.Listen, cfg.Radio.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataPlane.Mode = ue.ModeMemory
	cfg.UEs.IMSI, cfg.UEs.Count = s.imsi, s.count
	cfg.UEs.K, cfg.UEs.OPc = or(s.k, testK), testOPc
	cfg.LTE.APN, cfg.LTE.PDNs = s.apn, s.pdns
	cfg.LTE.EEA, cfg.LTE.EIA = []string{"EEA2"}, []string{"EIA2"}
	return cfg
}
