package smf

import (
	"fmt"

	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/pfcp"
)

// sessionRules are the rules of a new session (TS 29.244 §5.2): uplink
// G-PDUs on the F-TEID the UPF chooses, with QFI 1, go to the DN; downlink
// packets to the UE address are buffered until the gNB's tunnel is known.
// One QER polices the session AMBR, one URR counts its volume.
func sessionRules(c *smContext) *pfcp.Session {
	removal := pfcp.RemoveGTPUUDPIPv4
	dnn := c.entry.name
	return &pfcp.Session{
		PDRs: []pfcp.PDR{
			{ID: pdrUL, Precedence: 255, PDI: pfcp.PDI{
				SourceInterface: pfcp.InterfaceAccess, LocalFTEID: &pfcp.FTEID{Choose: true},
				UEIPAddress: &pfcp.UEIPAddress{IPv4: c.ueAddr}, NetworkInstance: dnn, QFI: defaultQFI},
				OuterHeaderRemoval: &removal, FARID: farUL, QERIDs: []uint32{qerSession}, URRIDs: []uint32{urrSession}},
			{ID: pdrDL, Precedence: 255, PDI: pfcp.PDI{
				SourceInterface: pfcp.InterfaceCore, NetworkInstance: dnn,
				UEIPAddress: &pfcp.UEIPAddress{IPv4: c.ueAddr, Destination: true}},
				FARID: farDL, QERIDs: []uint32{qerSession}, URRIDs: []uint32{urrSession}},
		},
		FARs: []pfcp.FAR{
			{ID: farUL, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
				DestinationInterface: pfcp.InterfaceCore, NetworkInstance: dnn}},
			// No NOCP yet: downlink data before the gNB answers is normal
			// and must not page the UE.
			{ID: farDL, ApplyAction: pfcp.ActionBuffer},
		},
		QERs: []pfcp.QER{{ID: qerSession, QFI: defaultQFI,
			MBR: &pfcp.Bitrate{UL: c.qos.ambr.UL / 1000, DL: c.qos.ambr.DL / 1000}}},
		URRs: []pfcp.URR{{ID: urrSession, MeasurementMethod: pfcp.MeasureVolume}},
	}
}

// forwardDownlink points the downlink FAR at the gNB's tunnel.
func forwardDownlink(t n2.GTPTunnel) *pfcp.Modification {
	return &pfcp.Modification{UpdateFARs: []pfcp.UpdateFAR{{ID: farDL, ApplyAction: pfcp.ActionForward,
		Forwarding: &pfcp.ForwardingParameters{DestinationInterface: pfcp.InterfaceAccess,
			OuterHeaderCreation: &pfcp.OuterHeaderCreation{TEID: t.TEID, IPv4: t.Addr}}}}}
}

// forwardFAR is the downlink FAR of a session whose gNB tunnel is known.
func forwardFAR(t n2.GTPTunnel) pfcp.FAR {
	return pfcp.FAR{ID: farDL, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
		DestinationInterface: pfcp.InterfaceAccess, OuterHeaderCreation: &pfcp.OuterHeaderCreation{TEID: t.TEID, IPv4: t.Addr}}}
}

// bufferNotifyFAR is the downlink FAR of an idle session.
func bufferNotifyFAR() pfcp.FAR {
	return pfcp.FAR{ID: farDL, ApplyAction: pfcp.ActionBuffer | pfcp.ActionNotifyCP}
}

// bufferDownlink makes the UPF hold downlink packets and tell us about the
// first ones (the UE is idle: it has to be paged).
func bufferDownlink() *pfcp.Modification {
	return &pfcp.Modification{UpdateFARs: []pfcp.UpdateFAR{{ID: farDL,
		ApplyAction: pfcp.ActionBuffer | pfcp.ActionNotifyCP}}}
}

// ulTunnelOf finds the F-TEID the UPF chose for the uplink PDR.
func ulTunnelOf(created []pfcp.CreatedPDR) (n2.GTPTunnel, error) {
	for _, c := range created {
		if c.ID == pdrUL && c.LocalFTEID != nil && c.LocalFTEID.IPv4.IsValid() {
			return n2.GTPTunnel{Addr: c.LocalFTEID.IPv4, TEID: c.LocalFTEID.TEID}, nil
		}
	}
	return n2.GTPTunnel{}, fmt.Errorf("the UPF reported no F-TEID for uplink PDR %d", pdrUL)
}

// setupTransfer is the N2 PDU Session Resource Setup Request Transfer:
// the UPF's N3 tunnel, the session AMBR and the default QoS flow.
func setupTransfer(c *smContext) ([]byte, error) {
	t := &n2.SetupRequestTransfer{
		SessionAMBR:    n2.AMBR{Uplink: c.qos.ambr.UL, Downlink: c.qos.ambr.DL},
		ULTunnel:       c.ulTunnel,
		PDUSessionType: n2.SessionTypeIPv4,
		QoSFlows: []n2.QoSFlowRequest{{QFI: defaultQFI, FiveQI: c.qos.fiveQI,
			ARP: n2.ARP{Level: c.qos.arp, Preemptable: true}}},
	}
	b, err := t.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode setup request transfer: %w", err)
	}
	return b, nil
}

// establishmentAccept is the N1 PDU Session Establishment Accept.
func establishmentAccept(c *smContext) ([]byte, error) {
	sn := c.entry.nas
	a := &nas5g.PDUSessionEstablishmentAccept{
		SessionHeader:  nas5g.SessionHeader{PDUSessionID: c.psi, PTI: c.pti},
		PDUSessionType: nas5g.SessionIPv4,
		SSCMode:        nas5g.SSCMode1,
		QoSRules:       []nas5g.QoSRule{{ID: 1, Precedence: 255, QFI: defaultQFI, Default: true}},
		SessionAMBR:    nas5g.AMBR{Uplink: c.qos.ambr.UL, Downlink: c.qos.ambr.DL},
		Address:        c.ueAddr,
		SNSSAI:         &sn,
		DNN:            c.entry.name,
	}
	b, err := a.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode establishment accept: %w", err)
	}
	return b, nil
}

// establishmentReject is the N1 PDU Session Establishment Reject.
func establishmentReject(psi, pti, cause uint8) ([]byte, error) {
	r := &nas5g.PDUSessionEstablishmentReject{SessionHeader: nas5g.SessionHeader{PDUSessionID: psi, PTI: pti}, Cause: cause}
	b, err := r.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode establishment reject: %w", err)
	}
	return b, nil
}

// releaseCommand is the N1 PDU Session Release Command and the N2
// PDU Session Resource Release Command Transfer.
func releaseCommand(c *smContext, pti, cause uint8) (n1, n2b []byte, err error) {
	cmd := &nas5g.PDUSessionReleaseCommand{SessionHeader: nas5g.SessionHeader{PDUSessionID: c.psi, PTI: pti}, Cause: cause}
	if n1, err = cmd.Encode(); err != nil {
		return nil, nil, fmt.Errorf("encode release command: %w", err)
	}
	t := &n2.ReleaseCommandTransfer{Cause: n2.CauseNormalRelease}
	if n2b, err = t.Encode(); err != nil {
		return nil, nil, fmt.Errorf("encode release command transfer: %w", err)
	}
	return n1, n2b, nil
}
