package naseps

import (
	"fmt"

	"github.com/free5gc/nas/ie"
	"github.com/free5gc/nas/message"
)

// Algorithm identities (TS 33.401 5.1.3.2, 5.1.4.2). 128-EEA1/2/3 and
// 128-EIA1/2/3 are the same algorithms as 5G's 128-NEA/NIA1/2/3 (TS 33.501
// Annex D), so this package runs free5gc/nas's implementations, as
// nf/proto/nas5g does, with the EPS inputs: BEARER 0 (TS 33.401 8.1.1,
// 8.2) and our own COUNT.
const (
	EEA0 uint8 = 0
	EEA1 uint8 = 1 // SNOW 3G
	EEA2 uint8 = 2 // AES-CTR
	EEA3 uint8 = 3 // ZUC
	EIA0 uint8 = 0
	EIA1 uint8 = 1
	EIA2 uint8 = 2 // AES-CMAC
	EIA3 uint8 = 3
)

// NASBearer is the BEARER input of the NAS algorithms in EPS.
const NASBearer uint8 = 0

// Direction is the DIRECTION input: Uplink for UE to MME.
type Direction uint8

const (
	Uplink   Direction = 0
	Downlink Direction = 1
)

func (d Direction) String() string {
	if d == Downlink {
		return "downlink"
	}
	return "uplink"
}

// nasMAC is the 32-bit NAS-MAC of msg (EIA0 gives zeros).
func nasMAC(alg uint8, key [16]byte, count Count, dir Direction, msg []byte) ([4]byte, error) {
	var out [4]byte
	if alg > EIA3 {
		return out, fmt.Errorf("%w: EIA%d", ErrAlgorithm, alg)
	}
	if alg == EIA0 {
		return out, nil
	}
	ctx := free5gcCtx(count)
	ctx.IntegrityAlg, ctx.KnasInt = ie.AlgIntegrity(alg), key
	mac, err := ctx.NASMacCalculate(message.Direction(dir), msg)
	if err != nil {
		return out, fmt.Errorf("EIA%d: %w", alg, err)
	}
	if len(mac) != len(out) {
		return out, fmt.Errorf("EIA%d: MAC of %d octets", alg, len(mac))
	}
	copy(out[:], mac)
	return out, nil
}

// nasCipher runs EEA (its own inverse) over data into a new slice.
func nasCipher(alg uint8, key [16]byte, count Count, dir Direction, data []byte) ([]byte, error) {
	if alg > EEA3 {
		return nil, fmt.Errorf("%w: EEA%d", ErrAlgorithm, alg)
	}
	if alg == EEA0 {
		return append([]byte(nil), data...), nil
	}
	ctx := free5gcCtx(count)
	ctx.CipheringAlg, ctx.KnasEnc = ie.AlgCiphering(alg), key
	out, err := ctx.NASEncrypt(message.Direction(dir), data)
	if err != nil {
		return nil, fmt.Errorf("EEA%d: %w", alg, err)
	}
	return out, nil
}

// free5gcCtx is a throwaway free5gc context whose counts are both count:
// free5gc picks one by direction, we have already picked it.
func free5gcCtx(count Count) *message.SecCtx {
	return &message.SecCtx{
		Bearer:        message.BearerType(NASBearer),
		UplinkCount:   &message.Count{Count: uint32(count)},
		DownlinkCount: &message.Count{Count: uint32(count)},
	}
}
