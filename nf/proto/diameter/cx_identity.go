package diameter

import (
	"fmt"
	"strings"
)

// IMSIdentities are the identities TS 23.003 13.3 and 13.4B derive from
// the IMSI when the UE has no ISIM: the IMPI, the temporary IMPU, and a
// tel URI when the subscriber has an MSISDN.
type IMSIdentities struct {
	IMPI   string // <IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org
	IMPU   string // sip:<IMPI>
	TelURI string // tel:+<MSISDN>; "" without MSISDN
}

// Public lists the IMPUs: the SIP URI, then the tel URI if any.
func (ids IMSIdentities) Public() []string {
	if ids.TelURI == "" {
		return []string{ids.IMPU}
	}
	return []string{ids.IMPU, ids.TelURI}
}

// IMSDomain is the home network domain of TS 23.003 13.2:
// ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org, a 2-digit MNC padded with 0.
func IMSDomain(mcc, mnc string) (string, error) {
	if _, err := NewPLMNID(mcc, mnc); err != nil {
		return "", err
	}
	if len(mnc) == 2 {
		mnc = "0" + mnc
	}
	return fmt.Sprintf("ims.mnc%s.mcc%s.3gppnetwork.org", mnc, mcc), nil
}

// DeriveIMSIdentities derives the identities of imsi, whose home network
// is mcc/mnc; msisdn may be "".
func DeriveIMSIdentities(imsi, mcc, mnc, msisdn string) (IMSIdentities, error) {
	dom, err := IMSDomain(mcc, mnc)
	if err != nil {
		return IMSIdentities{}, err
	}
	if !digits(imsi) || len(imsi) < 6 || len(imsi) > 15 || !strings.HasPrefix(imsi, mcc+mnc) {
		return IMSIdentities{}, fmt.Errorf("diameter: IMSI %q is not of PLMN %s%s", imsi, mcc, mnc)
	}
	ids := IMSIdentities{IMPI: imsi + "@" + dom}
	ids.IMPU = "sip:" + ids.IMPI
	if msisdn != "" {
		if !digits(msisdn) {
			return IMSIdentities{}, fmt.Errorf("diameter: MSISDN %q is not digits", msisdn)
		}
		ids.TelURI = "tel:+" + msisdn
	}
	return ids, nil
}

// IMSIOfIMPI is the IMSI of an IMPI derived in the domain dom; ok is
// false for any other form.
func IMSIOfIMPI(impi, dom string) (string, bool) {
	user, host, found := strings.Cut(impi, "@")
	if !found || !strings.EqualFold(host, dom) || !digits(user) || len(user) < 6 || len(user) > 15 {
		return "", false
	}
	return user, true
}

// IMSIOfIMPU is the IMSI of a sip: IMPU derived in the domain dom
// (parameters after ';' ignored); ok is false for any other form.
func IMSIOfIMPU(impu, dom string) (string, bool) {
	rest, found := strings.CutPrefix(impu, "sip:")
	if !found {
		return "", false
	}
	rest, _, _ = strings.Cut(rest, ";")
	return IMSIOfIMPI(rest, dom)
}

// MSISDNOfTelURI is the digits of a global tel URI ("tel:+33612345678",
// visual separators and parameters dropped); ok is false otherwise.
func MSISDNOfTelURI(uri string) (string, bool) {
	rest, found := strings.CutPrefix(uri, "tel:+")
	if !found {
		return "", false
	}
	rest, _, _ = strings.Cut(rest, ";")
	rest = strings.NewReplacer("-", "", ".", "", "(", "", ")", "").Replace(rest)
	if !digits(rest) || len(rest) > 15 {
		return "", false
	}
	return rest, true
}
