package core5g

import (
	"net/netip"
	"path/filepath"
	"time"

	"github.com/corebox/corebox/labs/sim/gnb"
	"github.com/corebox/corebox/nf/5gc/amf"
	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/5gc/smf"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// The NFs' configs on loopback: servers on 127.0.0.1 with ports of the
// kernel's choosing, except the UDP ports peers assume (PFCP 8805 and
// GTP-U 2152), which get a 127.x.y.z of their own. Every NF but the NRF
// registers with the NRF at nrfURI and discovers its peers there.

const loopback0 = "127.0.0.1:0"

var n2SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}

// instanceID gives each NF its own nfInstanceId: the default is derived
// from the process's instance name, which every NF here shares.
func instanceID(kind string) string { return nrfc.InstanceIDFor("core5g-" + kind) }

func quiet() nfkit.Option { return nfkit.WithLogger(nfkittest.Quiet()) }

func nrfConfig() nrf.Config {
	c := nrf.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen = loopback0, loopback0
	return c
}

func udrConfig(dir, nrfURI string) udr.Config {
	c := udr.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen, c.DB.Path = loopback0, loopback0, filepath.Join(dir, "udr.db")
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("udr")
	return c
}

func udmConfig(nrfURI string) udm.Config {
	c := udm.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen = loopback0, loopback0
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("udm")
	return c
}

func ausfConfig(nrfURI string) ausf.Config {
	c := ausf.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen = loopback0, loopback0
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("ausf")
	return c
}

func pcfConfig(nrfURI string) pcf.Config {
	c := pcf.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen = loopback0, loopback0
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("pcf")
	return c
}

func nssfConfig(nrfURI string) nssf.Config {
	c := nssf.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen = loopback0, loopback0
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("nssf")
	return c
}

// upfConfig puts N4 and N3 on addr's standard ports, N6 in memory, and a
// pool for each DNN the SMF serves.
func upfConfig(addr netip.Addr, nrfURI string) upf.Config {
	c := upf.DefaultConfig()
	c.Ops.Listen = loopback0
	c.PFCP.Listen = netip.AddrPortFrom(addr, 8805).String()
	c.GTPU.Listen = netip.AddrPortFrom(addr, 2152).String()
	c.N6.Mode = upf.N6ModeMemory
	c.UEPools = []upf.UEPool{{CIDR: "10.45.0.0/16", DNN: "internet"},
		{CIDR: "10.46.0.0/16", DNN: "ims"}, {CIDR: "10.47.0.0/16", DNN: "iot"}}
	c.NSSAI = []upf.Snssai{{SST: 1}, {SST: 1, SD: "010203"}}
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("upf")
	return c
}

// smfConfig serves internet and iot in slice 1, ims only in 1/010203.
func smfConfig(nrfURI string) smf.Config {
	c := smf.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen, c.PFCP.Listen = loopback0, loopback0, loopback0
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("smf")
	c.DNNs = []smf.DNNConfig{{DNN: "internet", SST: 1, Pool: "10.45.0.0/16"},
		{DNN: "ims", SST: 1, SD: "010203", Pool: "10.46.0.0/16"}, {DNN: "iot", SST: 1, Pool: "10.47.0.0/16"}}
	return c
}

func amfConfig(nrfURI string) amf.Config {
	c := amf.DefaultConfig()
	c.Ops.Listen, c.SBI.Listen, c.N2.Listen = loopback0, loopback0, loopback0
	c.N2.SCTP = n2SCTP
	c.NRF.URI, c.NRF.InstanceID = nrfURI, instanceID("amf")
	return c
}

// gnbConfig has N3 on port 2152 of addr: the UPF sends downlink G-PDUs
// to that port of the gNB's F-TEID.
func gnbConfig(addr netip.Addr, amfN2 string) gnb.Config {
	c := gnb.DefaultConfig()
	c.Ops.Listen, c.Radio.Listen = loopback0, loopback0
	c.AMF = gnb.AddrList{amfN2}
	c.SCTP = n2SCTP
	c.GTPU.Listen = netip.AddrPortFrom(addr, 2152).String()
	return c
}
