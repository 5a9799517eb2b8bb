package diameter

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// IMSSubscription is the User-Data of Cx (TS 29.228 Annex D/E), reduced
// to what corebox's S-CSCF uses: the IMPI and its service profiles with
// their public identities. Initial filter criteria are not modelled.
type IMSSubscription struct {
	XMLName         xml.Name         `xml:"IMSSubscription"`
	PrivateID       string           `xml:"PrivateID"`
	ServiceProfiles []ServiceProfile `xml:"ServiceProfile"`
}

// ServiceProfile is one ServiceProfile element.
type ServiceProfile struct {
	PublicIdentities []PublicIdentity `xml:"PublicIdentity"`
}

// PublicIdentity is one PublicIdentity element.
type PublicIdentity struct {
	BarringIndication bool   `xml:"BarringIndication,omitempty"`
	Identity          string `xml:"Identity"`
}

// maxUserData bounds the User-Data we parse (TS 29.228 has no limit;
// ours are a few hundred octets).
const maxUserData = 64 << 10

// Marshal gives the XML document User-Data carries.
func (s *IMSSubscription) Marshal() ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	b, err := xml.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("diameter: User-Data: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}

// ParseUserData decodes a User-Data XML document.
func ParseUserData(b []byte) (*IMSSubscription, error) {
	if len(b) > maxUserData {
		return nil, fmt.Errorf("diameter: User-Data of %d octets, over %d", len(b), maxUserData)
	}
	var s IMSSubscription
	d := xml.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("diameter: User-Data: %w", err)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *IMSSubscription) validate() error {
	if strings.TrimSpace(s.PrivateID) == "" {
		return errors.New("diameter: User-Data: PrivateID is empty")
	}
	if len(s.ServiceProfiles) == 0 {
		return errors.New("diameter: User-Data: no ServiceProfile")
	}
	for i, p := range s.ServiceProfiles {
		if len(p.PublicIdentities) == 0 {
			return fmt.Errorf("diameter: User-Data: ServiceProfile %d has no PublicIdentity", i+1)
		}
		for _, id := range p.PublicIdentities {
			if strings.TrimSpace(id.Identity) == "" {
				return fmt.Errorf("diameter: User-Data: ServiceProfile %d: empty Identity", i+1)
			}
		}
	}
	return nil
}

// Identities lists every public identity of the subscription.
func (s *IMSSubscription) Identities() []string {
	var out []string
	for _, p := range s.ServiceProfiles {
		for _, id := range p.PublicIdentities {
			out = append(out, id.Identity)
		}
	}
	return out
}
