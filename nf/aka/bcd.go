package aka

import "fmt"

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkPLMN accepts a 3-digit MCC and a 2- or 3-digit MNC.
func checkPLMN(mcc, mnc string) error {
	if len(mcc) != 3 || !isDigits(mcc) {
		return fmt.Errorf("aka: MCC %q is not 3 digits", mcc)
	}
	if (len(mnc) != 2 && len(mnc) != 3) || !isDigits(mnc) {
		return fmt.Errorf("aka: MNC %q is not 2 or 3 digits", mnc)
	}
	return nil
}

// encodeBCD packs digits two per octet, first digit in the low nibble,
// filling an odd tail with 0xF (TS 24.501 9.11.3.4, scheme input of the
// MSIN).
func encodeBCD(digits string) []byte {
	out := make([]byte, (len(digits)+1)/2)
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		if i%2 == 0 {
			out[i/2] = 0xF0 | d
		} else {
			out[i/2] = out[i/2]&0x0F | d<<4
		}
	}
	return out
}

// decodeBCD is the inverse of encodeBCD; only the last high nibble may be
// the 0xF filler.
func decodeBCD(b []byte) (string, error) {
	out := make([]byte, 0, 2*len(b))
	for i, o := range b {
		lo, hi := o&0x0F, o>>4
		if lo > 9 {
			return "", fmt.Errorf("aka: BCD octet %d low nibble 0x%X is not a digit", i, lo)
		}
		out = append(out, '0'+lo)
		if hi == 0xF && i == len(b)-1 {
			break
		}
		if hi > 9 {
			return "", fmt.Errorf("aka: BCD octet %d high nibble 0x%X is not a digit", i, hi)
		}
		out = append(out, '0'+hi)
	}
	return string(out), nil
}
