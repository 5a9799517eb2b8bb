package n2

import (
	"fmt"

	"github.com/free5gc/ngap/aper"
	"github.com/free5gc/ngap/ie"
)

// SessionSetupItem is one PDU session to set up: its NAS PDU (the PDU
// Session Establishment Accept, optional), slice, and the encoded
// SetupRequestTransfer.
type SessionSetupItem struct {
	PDUSessionID uint8
	NASPDU       []byte
	SNSSAI       SNSSAI
	Transfer     []byte
}

// SessionTransfer is a PDU session ID with the encoded transfer IE that
// goes with it in a response or release list.
type SessionTransfer struct {
	PDUSessionID uint8
	Transfer     []byte
}

func psiToIE(id uint8) *ie.PDUSessionID { return &ie.PDUSessionID{Value: int64(id)} }

func psiFromIE(p *ie.PDUSessionID) (uint8, error) {
	if p == nil {
		return 0, fmt.Errorf("missing PDU session ID")
	}
	return uint8(p.Value), nil
}

// setupParts converts the common part of both setup request item types.
func setupParts(s SessionSetupItem) (*ie.SNSSAI, *aper.OctetString, error) {
	if len(s.Transfer) == 0 {
		return nil, nil, fmt.Errorf("n2: PDU session %d without setup request transfer", s.PDUSessionID)
	}
	sn, err := snssaiToIE(s.SNSSAI)
	return sn, octets(s.Transfer), err
}

func setupItem(id *ie.PDUSessionID, nas *ie.NASPDU, sn *ie.SNSSAI, tr *aper.OctetString) (SessionSetupItem, error) {
	psi, err := psiFromIE(id)
	if err != nil {
		return SessionSetupItem{}, err
	}
	s, err := snssaiFromIE(sn)
	if err != nil {
		return SessionSetupItem{}, err
	}
	if tr == nil {
		return SessionSetupItem{}, fmt.Errorf("PDU session %d without transfer", psi)
	}
	return SessionSetupItem{PDUSessionID: psi, NASPDU: nasBytes(nas), SNSSAI: s, Transfer: append([]byte(nil), *tr...)}, nil
}

func transferItem(id *ie.PDUSessionID, tr *aper.OctetString) (SessionTransfer, error) {
	psi, err := psiFromIE(id)
	if err != nil {
		return SessionTransfer{}, err
	}
	if tr == nil {
		return SessionTransfer{}, fmt.Errorf("PDU session %d without transfer", psi)
	}
	return SessionTransfer{PDUSessionID: psi, Transfer: append([]byte(nil), *tr...)}, nil
}

func checkTransfers(list []SessionTransfer) error {
	for _, s := range list {
		if len(s.Transfer) == 0 {
			return fmt.Errorf("n2: PDU session %d without transfer", s.PDUSessionID)
		}
	}
	return nil
}

func ueAMBRToIE(a AMBR) (*ie.UEAggregateMaximumBitRate, error) {
	if a == (AMBR{}) {
		return nil, nil
	}
	if err := checkBitRate(a); err != nil {
		return nil, err
	}
	return &ie.UEAggregateMaximumBitRate{
		UEAggregateMaximumBitRateDL: &ie.BitRate{Value: int64(a.Downlink)},
		UEAggregateMaximumBitRateUL: &ie.BitRate{Value: int64(a.Uplink)},
	}, nil
}

func ueAMBRFromIE(u *ie.UEAggregateMaximumBitRate) (AMBR, error) {
	if u == nil {
		return AMBR{}, nil
	}
	if u.UEAggregateMaximumBitRateDL == nil || u.UEAggregateMaximumBitRateUL == nil {
		return AMBR{}, fmt.Errorf("incomplete UE AMBR")
	}
	return AMBR{Uplink: uint64(u.UEAggregateMaximumBitRateUL.Value), Downlink: uint64(u.UEAggregateMaximumBitRateDL.Value)}, nil
}
