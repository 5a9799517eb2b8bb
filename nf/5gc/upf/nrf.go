package upf

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// instanceID is nrf.instance_id, or a UUIDv5 of the instance name.
func (c NRFConfig) instanceID() string {
	if c.InstanceID != "" {
		return c.InstanceID
	}
	return nrfc.InstanceIDFor(nfkit.Instance())
}

// profile is what the UPF registers: its N4 address, slices, and upfInfo
// with the DNNs (and their UE pools) per slice and the N3 address.
func (n *NF) profile() models.Nrf_NFMgmt_NFProfile {
	c := n.cfg
	var snssais []models.ExtSnssai
	for _, s := range c.NSSAI {
		snssais = append(snssais, models.ExtSnssai{Sst: int32(s.SST), Sd: strings.ToLower(s.SD)})
	}
	var dnns []models.Nrf_NFMgmt_DnnUpfInfoItem
	for i, p := range c.UEPools {
		j := slices.IndexFunc(dnns, func(d models.Nrf_NFMgmt_DnnUpfInfoItem) bool { return d.Dnn == p.DNN })
		if j < 0 {
			dnns = append(dnns, models.Nrf_NFMgmt_DnnUpfInfoItem{Dnn: p.DNN,
				PduSessionTypes: []models.PduSessionType{models.PduSessionType_IPV4}})
			j = len(dnns) - 1
		}
		dnns[j].Ipv4AddressRanges = append(dnns[j].Ipv4AddressRanges, addressRange(n.pools[i]))
	}
	info := &models.Nrf_NFMgmt_UpfInfo{
		InterfaceUpfInfoList: []models.Nrf_NFMgmt_InterfaceUpfInfoItem{{
			InterfaceType:         models.Nrf_NFMgmt_UPInterfaceType_N3,
			Ipv4EndpointAddresses: []string{n.n3.String()},
		}},
		PduSessionTypes: []models.PduSessionType{models.PduSessionType_IPV4},
	}
	for i := range snssais {
		info.SNssaiUpfInfoList = append(info.SNssaiUpfInfoList, models.Nrf_NFMgmt_SnssaiUpfInfoItem{
			SNssai: &snssais[i], DnnUpfInfoList: dnns})
	}
	return models.Nrf_NFMgmt_NFProfile{
		NfInstanceId:  n.cfg.NRF.instanceID(),
		NfType:        models.Nrf_NFMgmt_NFType_UPF,
		NfStatus:      models.Nrf_NFMgmt_NFStatus_REGISTERED,
		Ipv4Addresses: []string{n.nodeID.String()},
		SNssais:       snssais,
		UpfInfo:       info,
	}
}

// addressRange is a prefix as the first and last address.
func addressRange(p netip.Prefix) models.Nrf_NFMgmt_Ipv4AddressRange {
	first := p.Masked().Addr()
	last := first.As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	for i := range 4 {
		last[3-i] |= byte(host >> (8 * i))
	}
	return models.Nrf_NFMgmt_Ipv4AddressRange{Start: first.String(), End: netip.AddrFrom4(last).String()}
}

// suspendOnDrain marks our NRF profile SUSPENDED when a drain starts, so
// SMFs select other UPFs; our sessions keep being served.
func (n *NF) suspendOnDrain(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-n.drain:
	}
	if err := n.nrf.SetStatus(ctx, models.Nrf_NFMgmt_NFStatus_SUSPENDED); err != nil {
		n.log.Warn("drain: could not mark the NRF profile SUSPENDED", "err", err)
	}
	return nil
}
