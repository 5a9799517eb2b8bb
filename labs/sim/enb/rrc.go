package enb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// What RRC would tell the eNB, over a radio that carries only NAS PDUs:
// the UE's S-TMSI comes in an optional prefix of the Connect body, in the
// layout of the Paging body; the establishment cause is read from the
// initial NAS message.

// stmsiLen is the size of an S-TMSI on the radio: a zero octet (the
// place of the 5G-S-TMSI's AMF set ID high bits; S1AP gives no MME group
// ID), the MME code, and the M-TMSI.
const stmsiLen = 6

// stmsiBody is the radio form of an S-TMSI: Paging bodies, and the
// prefix of a Connect body.
func stmsiBody(s s1ap.STMSI) [stmsiLen]byte {
	var b [stmsiLen]byte
	b[1] = s.MMEC
	binary.BigEndian.PutUint32(b[2:], s.MTMSI)
	return b
}

// splitConnect splits a Connect body into the S-TMSI the UE gave (RRC
// Connection Request's ue-Identity) and the NAS PDU. No EPS NAS PDU starts
// with a zero octet (protocol discriminator 0), so a leading zero marks
// the S-TMSI.
func splitConnect(body []byte) (*s1ap.STMSI, []byte, error) {
	if len(body) == 0 || body[0] != 0 {
		return nil, body, nil
	}
	if len(body) <= stmsiLen {
		return nil, nil, fmt.Errorf("connect: %d octets: an S-TMSI prefix needs %d and a NAS PDU after it", len(body), stmsiLen)
	}
	s := s1ap.STMSI{MMEC: body[1], MTMSI: binary.BigEndian.Uint32(body[2:])}
	return &s, body[stmsiLen:], nil
}

// establishmentCause is the RRC establishment cause a UE would give with
// this initial NAS PDU (TS 36.331 5.3.3.3, TS 24.301 Annex D): mt-Access
// when it answers paging, emergency for an emergency attach, mo-Data for
// a Service Request, mo-Signalling otherwise.
func establishmentCause(pdu []byte, paged bool) s1ap.RRCEstablishmentCause {
	if paged {
		return s1ap.RRCMTAccess
	}
	ht, err := naseps.HeaderTypeOf(pdu)
	switch {
	case err != nil:
		return s1ap.RRCMOSignalling
	case ht == naseps.ServiceRequestHeader:
		return s1ap.RRCMOData
	case ht == naseps.IntegrityProtected:
		if _, inner, err := naseps.ParseSecurityHeader(pdu); err == nil {
			pdu = inner
		}
	case ht != naseps.Plain:
		return s1ap.RRCMOSignalling // ciphered: not readable here
	}
	if _, mt, err := naseps.PeekType(pdu); err != nil || mt != naseps.MsgAttachRequest {
		return s1ap.RRCMOSignalling
	}
	if ar, err := naseps.ParseAs[*naseps.AttachRequest](pdu); err == nil && ar.AttachType == naseps.AttachEPSEmergency {
		return s1ap.RRCEmergency
	}
	return s1ap.RRCMOSignalling
}

// Paged S-TMSIs are remembered for pagedWindow, so that the UE's answer
// gets mt-Access, up to maxPaged at once.
const (
	pagedWindow = 10 * time.Second
	maxPaged    = 4096
)

// pagedSet is the S-TMSIs paged lately.
type pagedSet struct {
	mu  sync.Mutex
	at  map[s1ap.STMSI]time.Time
	now func() time.Time
}

func newPagedSet() *pagedSet { return &pagedSet{at: map[s1ap.STMSI]time.Time{}, now: time.Now} }

var errPagedFull = errors.New("enb: too many S-TMSIs paged at once")

// add notes that s was paged now, forgetting pages older than the window.
func (p *pagedSet) add(s s1ap.STMSI) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if len(p.at) >= maxPaged {
		for k, t := range p.at {
			if now.Sub(t) > pagedWindow {
				delete(p.at, k)
			}
		}
	}
	if _, ok := p.at[s]; !ok && len(p.at) >= maxPaged {
		return errPagedFull
	}
	p.at[s] = now
	return nil
}

// recently reports whether s was paged within the window, and forgets it:
// one page, one answer.
func (p *pagedSet) recently(s s1ap.STMSI) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.at[s]
	delete(p.at, s)
	return ok && p.now().Sub(t) <= pagedWindow
}
