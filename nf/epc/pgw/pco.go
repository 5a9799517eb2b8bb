package pgw

import (
	"encoding/binary"
	"net/netip"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// PCO container identifiers (TS 24.008 §10.5.6.3).
const (
	pcoIPCP       uint16 = 0x8021
	pcoBCM        uint16 = 0x0005 // MS support of network requested bearer control / selected BCM
	pcoPCSCFIPv4  uint16 = 0x000c // P-CSCF IPv4 address (request / answer)
	pcoDNSIPv4    uint16 = 0x000d // DNS server IPv4 address (request / answer)
	bcmMSNW       byte   = 0x02
	ipcpConfReq   byte   = 1
	ipcpConfNak   byte   = 3
	ipcpPrimDNS   byte   = 129
	ipcpSecondDNS byte   = 131
)

// answerPCO builds the PCO answering what the UE asked for in req: DNS
// servers for every APN, P-CSCF addresses where the APN has them (ims),
// the bearer control mode, and DNS in IPCP for UEs that ask that way.
// It returns nil when there is nothing to answer.
func answerPCO(req *ie.IE, a apnSpec) *ie.IE {
	if req == nil {
		return nil
	}
	fields, err := req.ProtocolConfigurationOptions()
	if err != nil {
		return nil // a PCO we cannot read asks for nothing we can answer
	}
	var out []*ie.PCOContainer
	for _, c := range fields.ProtocolOrContainers {
		switch c.ID {
		case pcoPCSCFIPv4:
			out = append(out, addrContainers(pcoPCSCFIPv4, a.pcscf)...)
		case pcoDNSIPv4:
			out = append(out, addrContainers(pcoDNSIPv4, a.dns)...)
		case pcoBCM:
			out = append(out, ie.NewPCOContainer(pcoBCM, []byte{bcmMSNW}))
		case pcoIPCP:
			if nak := ipcpDNSNak(c.Contents, a.dns); nak != nil {
				out = append(out, ie.NewPCOContainer(pcoIPCP, nak))
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return ie.NewProtocolConfigurationOptions(ie.ConfigurationProtocolPPPForUseWithIPPDPTypeOrIPPDNType, out...)
}

func addrContainers(id uint16, addrs []netip.Addr) []*ie.PCOContainer {
	out := make([]*ie.PCOContainer, 0, len(addrs))
	for _, a := range addrs {
		b := a.As4()
		out = append(out, ie.NewPCOContainer(id, b[:]))
	}
	return out
}

// ipcpDNSNak answers an IPCP Configure-Request asking for DNS servers
// (RFC 1877) with a Configure-Nak carrying ours; nil if it asks none or
// we have none.
func ipcpDNSNak(req []byte, dns []netip.Addr) []byte {
	if len(req) < 4 || req[0] != ipcpConfReq || len(dns) == 0 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(req[2:4]))
	if n < 4 || n > len(req) {
		return nil
	}
	var opts []byte
	for o := req[4:n]; len(o) >= 2; {
		l := int(o[1])
		if l < 2 || l > len(o) {
			return nil
		}
		idx := -1
		switch o[0] {
		case ipcpPrimDNS:
			idx = 0
		case ipcpSecondDNS:
			idx = 1
		}
		if idx >= 0 && idx < len(dns) {
			a := dns[idx].As4()
			opts = append(opts, o[0], 6, a[0], a[1], a[2], a[3])
		}
		o = o[l:]
	}
	if opts == nil {
		return nil
	}
	out := []byte{ipcpConfNak, req[1], 0, 0}
	out = append(out, opts...)
	binary.BigEndian.PutUint16(out[2:4], uint16(len(out)))
	return out
}
