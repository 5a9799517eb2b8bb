package sip

import (
	"encoding/xml"
	"fmt"
)

// RegInfoNamespace is the RFC 3680 XML namespace.
const RegInfoNamespace = "urn:ietf:params:xml:ns:reginfo"

// Reg event values (RFC 3680 5.1): states of registrations and contacts,
// and the events that changed a contact.
const (
	RegStateInit       = "init"
	RegStateActive     = "active"
	RegStateTerminated = "terminated"

	ContactEventRegistered   = "registered"
	ContactEventCreated      = "created"
	ContactEventRefreshed    = "refreshed"
	ContactEventShortened    = "shortened"
	ContactEventExpired      = "expired"
	ContactEventDeactivated  = "deactivated"
	ContactEventProbation    = "probation"
	ContactEventUnregistered = "unregistered"
	ContactEventRejected     = "rejected"

	RegInfoFull    = "full"
	RegInfoPartial = "partial"
)

// RegInfo is an application/reginfo+xml document.
type RegInfo struct {
	XMLName       xml.Name       `xml:"urn:ietf:params:xml:ns:reginfo reginfo"`
	Version       uint32         `xml:"version,attr"`
	State         string         `xml:"state,attr"`
	Registrations []Registration `xml:"registration"`
}

// Registration is one address-of-record's registration.
type Registration struct {
	AOR      string       `xml:"aor,attr"`
	ID       string       `xml:"id,attr"`
	State    string       `xml:"state,attr"`
	Contacts []RegContact `xml:"contact"`
}

// RegContact is one contact of a registration.
type RegContact struct {
	ID          string  `xml:"id,attr"`
	State       string  `xml:"state,attr"`
	Event       string  `xml:"event,attr"`
	Expires     *uint32 `xml:"expires,attr,omitempty"`
	Q           string  `xml:"q,attr,omitempty"`
	CallID      string  `xml:"callid,attr,omitempty"`
	CSeq        *uint32 `xml:"cseq,attr,omitempty"`
	URI         string  `xml:"uri"`
	DisplayName string  `xml:"display-name,omitempty"`
}

// Marshal is the XML body with its declaration.
func (r RegInfo) Marshal() ([]byte, error) {
	b, err := xml.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal reginfo: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}

// ParseRegInfo reads and validates an application/reginfo+xml body.
func ParseRegInfo(b []byte) (RegInfo, error) {
	var r RegInfo
	if err := xml.Unmarshal(b, &r); err != nil {
		return RegInfo{}, fmt.Errorf("parse reginfo: %w", malformed("reginfo", err.Error()))
	}
	if r.State != RegInfoFull && r.State != RegInfoPartial {
		return RegInfo{}, fmt.Errorf("parse reginfo: %w", malformed("reginfo", fmt.Sprintf("state %q", r.State)))
	}
	for _, reg := range r.Registrations {
		if reg.AOR == "" || reg.ID == "" || !oneOf(reg.State, RegStateInit, RegStateActive, RegStateTerminated) {
			return RegInfo{}, fmt.Errorf("parse reginfo: %w", malformed("registration", fmt.Sprintf("aor %q id %q state %q", reg.AOR, reg.ID, reg.State)))
		}
		for _, c := range reg.Contacts {
			if c.ID == "" || c.URI == "" || !oneOf(c.State, RegStateActive, RegStateTerminated) || c.Event == "" {
				return RegInfo{}, fmt.Errorf("parse reginfo: %w", malformed("contact", fmt.Sprintf("id %q uri %q state %q event %q", c.ID, c.URI, c.State, c.Event)))
			}
		}
	}
	return r, nil
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// ContactChange says what happened to one contact of an AOR.
type ContactChange struct {
	ID, URI string
	// Event is one of ContactEventRegistered, Refreshed, Expired,
	// Deactivated, Unregistered (or another RFC 3680 event).
	Event   string
	Expires uint32 // remaining seconds; forced to 0 for terminating events
	CallID  string
	CSeq    uint32
}

// terminates reports whether event ends the contact (RFC 3680 5.1).
func terminates(event string) bool {
	return oneOf(event, ContactEventExpired, ContactEventDeactivated, ContactEventProbation,
		ContactEventUnregistered, ContactEventRejected)
}

// NewRegInfoNotify builds the NOTIFY body for an AOR after changes (the
// S-CSCF's reg event, TS 24.229 5.4.2.1.2). version is the subscription's
// document version (0 first, +1 each NOTIFY); state is RegInfoFull or
// RegInfoPartial. The registration is terminated when no contact stays
// active.
func NewRegInfoNotify(version uint32, state, aor, regID string, changes ...ContactChange) RegInfo {
	reg := Registration{AOR: aor, ID: regID, State: RegStateTerminated}
	for _, ch := range changes {
		c := RegContact{ID: ch.ID, URI: ch.URI, Event: ch.Event, State: RegStateActive, CallID: ch.CallID}
		exp := ch.Expires
		if terminates(ch.Event) {
			c.State, exp = RegStateTerminated, 0
		} else {
			reg.State = RegStateActive
		}
		c.Expires = &exp
		if ch.CSeq != 0 {
			cseq := ch.CSeq
			c.CSeq = &cseq
		}
		reg.Contacts = append(reg.Contacts, c)
	}
	return RegInfo{Version: version, State: state, Registrations: []Registration{reg}}
}
