package amf

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/free5gc/openapi/models"
)

// advertiseURI is where peers reach our SBI: the configured URI, else the
// bound address (set advertise_uri when sbi.listen is a wildcard).
func advertiseURI(configured, scheme string, bound net.Addr) string {
	if configured != "" {
		return configured
	}
	return scheme + "://" + bound.String()
}

// amfID is the 24-bit AMF identifier of a GUAMI in hex: region, set, pointer.
func (n *NF) amfID() string {
	v := uint32(n.guami.RegionID)<<16 | uint32(n.guami.SetID)<<6 | uint32(n.guami.Pointer)
	return fmt.Sprintf("%06x", v)
}

func (n *NF) modelGUAMI() *models.Guami {
	return &models.Guami{PlmnId: &models.PlmnIdNid{Mcc: n.plmn.MCC, Mnc: n.plmn.MNC}, AmfId: n.amfID()}
}

// profile is what the AMF registers: type AMF, amfInfo with its GUAMI and
// TAIs, and the namf-comm service at self.
func (n *NF) profile(self string) models.Nrf_NFMgmt_NFProfile {
	p := models.Nrf_NFMgmt_NFProfile{NfInstanceId: n.id, NfType: models.Nrf_NFMgmt_NFType_AMF,
		NfStatus: models.Nrf_NFMgmt_NFStatus_REGISTERED, NfInstanceName: n.cfg.Name}
	info := &models.Nrf_NFMgmt_AmfInfo{AmfSetId: fmt.Sprintf("%03x", n.guami.SetID),
		AmfRegionId: fmt.Sprintf("%02x", n.guami.RegionID), GuamiList: []models.Guami{*n.modelGUAMI()}}
	for _, t := range n.tais {
		info.TaiList = append(info.TaiList, models.Tai{PlmnId: &models.PlmnId{Mcc: t.PLMN.MCC, Mnc: t.PLMN.MNC},
			Tac: fmt.Sprintf("%06x", t.TAC)})
	}
	p.AmfInfo = info
	for _, s := range n.support {
		p.PlmnList = append(p.PlmnList, models.PlmnId{Mcc: s.PLMN.MCC, Mnc: s.PLMN.MNC})
		for _, sl := range s.Slices {
			p.SNssais = append(p.SNssais, models.ExtSnssai{Sst: int32(sl.SST), Sd: sdString(sl)})
		}
	}
	svc := models.Nrf_NFMgmt_NFService{ServiceInstanceId: "namf-comm", ServiceName: models.Nrf_NFMgmt_ServiceName_NAMF_COMM,
		NfServiceStatus: models.Nrf_NFMgmt_NFServiceStatus_REGISTERED, ApiPrefix: self,
		Versions: []models.Nrf_NFMgmt_NFServiceVersion{{ApiVersionInUri: "v1", ApiFullVersion: "1.0.0"}}}
	if u, err := url.Parse(self); err == nil {
		svc.Scheme = models.UriScheme(u.Scheme)
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.To4() != nil {
			port, _ := strconv.Atoi(u.Port())
			p.Ipv4Addresses = []string{ip.String()}
			svc.IpEndPoints = []models.Nrf_NFMgmt_IpEndPoint{{Ipv4Address: ip.String(), Port: int32(port),
				Transport: models.Nrf_NFMgmt_TransportProtocol_TCP}}
		}
	}
	p.NfServices = []models.Nrf_NFMgmt_NFService{svc}
	return p
}
