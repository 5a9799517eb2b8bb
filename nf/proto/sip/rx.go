package sip

import (
	"fmt"
)

// Rx Flow-Status values (TS 29.214 5.3.11).
const (
	FlowEnabledUplink   = 0
	FlowEnabledDownlink = 1
	FlowEnabled         = 2
	FlowDisabled        = 3
	FlowRemoved         = 4
)

// Rx Media-Type values (TS 29.214 5.3.19).
var rxMediaTypes = map[string]int{"audio": 0, "video": 1, "data": 2, "application": 3, "control": 4, "text": 5, "message": 6}

// MediaComponent is what the P-CSCF puts in one Rx
// Media-Component-Description (TS 29.214 Annex B.1).
type MediaComponent struct {
	Number    int    // Media-Component-Number, 1-based m= index
	MediaType string // m= media; RxMediaType gives the AVP value
	// RxMediaType is the Media-Type AVP value (OTHER=0xFFFFFFFF if unknown).
	RxMediaType uint32
	FlowStatus  int
	// MaxRequestedBandwidthUL/DL in bit/s (b=TIAS, else b=AS*1000); 0 when
	// the SDP has neither.
	MaxRequestedBandwidthUL, MaxRequestedBandwidthDL uint64
	// Flows: RTP (flow number 1) and RTCP (2, port+1) descriptions, both
	// directions each.
	Flows  []FlowDescription
	Codecs []RTPMap
}

// FlowDescription is one Media-Sub-Component's pair of IPFilterRules.
type FlowDescription struct {
	FlowNumber int
	Uplink     string // "permit in 17 from <ue> <port> to <remote> <port>"
	Downlink   string // "permit out 17 from <remote> <port> to <ue> <port>"
}

// DeriveMediaComponents maps an offer/answer to Rx media components. ueSDP
// is the SDP the UE sent (its addresses receive downlink traffic),
// remoteSDP the other side's. m= lines pair up by index (RFC 3264).
// Port numbers of both ends enter the filters; ports 0 mark removed
// streams.
func DeriveMediaComponents(ueSDP, remoteSDP *SDP) ([]MediaComponent, error) {
	if len(ueSDP.Media) != len(remoteSDP.Media) {
		return nil, fmt.Errorf("derive media components: %d vs %d m= lines", len(ueSDP.Media), len(remoteSDP.Media))
	}
	out := make([]MediaComponent, 0, len(ueSDP.Media))
	for i, um := range ueSDP.Media {
		rm := remoteSDP.Media[i]
		mc, err := mediaComponent(i+1, ueSDP, um, remoteSDP, rm)
		if err != nil {
			return nil, fmt.Errorf("derive media component %d: %w", i+1, err)
		}
		out = append(out, mc)
	}
	return out, nil
}

func mediaComponent(n int, ueSDP *SDP, um Media, remoteSDP *SDP, rm Media) (MediaComponent, error) {
	mc := MediaComponent{Number: n, MediaType: um.Type, RxMediaType: 0xFFFFFFFF}
	if t, ok := rxMediaTypes[um.Type]; ok {
		mc.RxMediaType = uint32(t)
	}
	mc.MaxRequestedBandwidthDL = bitrate(ueSDP, um)
	mc.MaxRequestedBandwidthUL = bitrate(remoteSDP, rm)
	codecs, err := um.RTPMaps()
	if err != nil {
		return mc, err
	}
	mc.Codecs = codecs
	if um.Port == 0 || rm.Port == 0 {
		mc.FlowStatus = FlowRemoved
		return mc, nil
	}
	mc.FlowStatus = flowStatus(ueSDP.Direction(um))
	ueAddr, err := ueSDP.Address(um)
	if err != nil {
		return mc, err
	}
	remoteAddr, err := remoteSDP.Address(rm)
	if err != nil {
		return mc, err
	}
	for k := 0; k < 2; k++ { // RTP, then RTCP on port+1
		up, rp := um.Port+k, rm.Port+k
		mc.Flows = append(mc.Flows, FlowDescription{
			FlowNumber: k + 1,
			Uplink:     fmt.Sprintf("permit in 17 from %s %d to %s %d", ueAddr, up, remoteAddr, rp),
			Downlink:   fmt.Sprintf("permit out 17 from %s %d to %s %d", remoteAddr, rp, ueAddr, up),
		})
	}
	return mc, nil
}

func bitrate(s *SDP, m Media) uint64 {
	if v, ok := s.Bandwidth(m, "TIAS"); ok {
		return v
	}
	if v, ok := s.Bandwidth(m, "AS"); ok {
		return v * 1000
	}
	return 0
}

// flowStatus maps the UE's direction attribute: what the UE sends is
// uplink.
func flowStatus(dir string) int {
	switch dir {
	case "sendonly":
		return FlowEnabledUplink
	case "recvonly":
		return FlowEnabledDownlink
	case "inactive":
		return FlowDisabled
	}
	return FlowEnabled
}
