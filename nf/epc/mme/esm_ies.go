package mme

import (
	"fmt"

	"github.com/wmnsk/go-gtp/gtpv2/ie"

	"github.com/corebox/corebox/nf/proto/naseps"
)

// GTPv2-C carries PCO and TFT as the value part of their NAS IEs (TS
// 29.274 8.13, 8.19). naseps reads and writes them only inside messages,
// so values cross over wrapped in a minimal ESM message; whatever the
// PGW put in a PCO reaches the UE as it was.

// ieiPCO is the IEI of the PCO in ESM messages (TS 24.301 9.9.4.11).
const ieiPCO = 0x27

// parsePCO decodes a PCO value.
func parsePCO(v []byte) (*naseps.PCO, error) {
	if len(v) == 0 || len(v) > 0xFF {
		return nil, fmt.Errorf("PCO of %d octets", len(v))
	}
	wrapped := append([]byte{0x02, 0x00, byte(naseps.MsgActivateDefaultBearerAccept), ieiPCO, byte(len(v))}, v...)
	acc, err := naseps.ParseAs[*naseps.ActivateDefaultBearerAccept](wrapped)
	if err != nil {
		return nil, fmt.Errorf("PCO: %w", err)
	}
	if acc.PCO == nil {
		return nil, fmt.Errorf("PCO: not decoded")
	}
	return acc.PCO, nil
}

// pcoValue encodes a PCO's value.
func pcoValue(p naseps.PCO) ([]byte, error) {
	b, err := (&naseps.ActivateDefaultBearerAccept{PCO: &p}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("PCO: %w", err)
	}
	return b[5:], nil // PD/EBI, PTI, type, IEI, length
}

// pcoIE is a PCO as a GTPv2-C IE.
func pcoIE(p naseps.PCO) (*ie.IE, error) {
	v, err := pcoValue(p)
	if err != nil {
		return nil, err
	}
	return ie.New(ie.ProtocolConfigurationOptions, 0, v), nil
}

// parseTFT decodes a TFT value.
func parseTFT(v []byte) (naseps.TFT, error) {
	if len(v) == 0 || len(v) > 0xFF {
		return naseps.TFT{}, fmt.Errorf("TFT of %d octets", len(v))
	}
	wrapped := []byte{0x02, 0x00, byte(naseps.MsgActivateDedicatedBearerRequest), 5, 1, 9, byte(len(v))}
	req, err := naseps.ParseAs[*naseps.ActivateDedicatedBearerRequest](append(wrapped, v...))
	if err != nil {
		return naseps.TFT{}, fmt.Errorf("TFT: %w", err)
	}
	return req.TFT, nil
}
