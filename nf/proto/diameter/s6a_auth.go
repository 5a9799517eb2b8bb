package diameter

import (
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
)

// S6a AVPs of authentication (TS 29.272 7.3).
var (
	avpVisitedPLMNID       = tgpp(avp.VisitedPLMNID, "Visited-PLMN-Id")
	avpRequestedEUTRANAuth = tgpp(avp.RequestedEUTRANAuthenticationInfo, "Requested-EUTRAN-Authentication-Info")
	avpNumberOfVectors     = tgpp(avp.NumberOfRequestedVectors, "Number-Of-Requested-Vectors")
	avpImmediateResponse   = tgpp(avp.ImmediateResponsePreferred, "Immediate-Response-Preferred")
	avpResyncInfo          = tgpp(avp.ResynchronizationInfo, "Re-Synchronization-Info")
	avpAuthenticationInfo  = tgpp(avp.AuthenticationInfo, "Authentication-Info")
	avpEUTRANVector        = tgpp(avp.EUTRANVector, "E-UTRAN-Vector")
	avpItemNumber          = tgpp(avp.ItemNumber, "Item-Number")
	avpRAND                = tgpp(avp.RAND, "RAND")
	avpXRES                = tgpp(avp.XRES, "XRES")
	avpAUTN                = tgpp(avp.AUTN, "AUTN")
	avpKASME               = tgpp(avp.KASME, "KASME")
)

// Lengths of the authentication parameters (TS 33.102, TS 33.401).
const (
	RANDLen  = 16
	AUTNLen  = 16
	AUTSLen  = 14
	KASMELen = 32
)

// AIR is an Authentication-Information-Request (TS 29.272 7.2.5).
type AIR struct {
	RequestHeader
	UserName    string // the IMSI
	VisitedPLMN PLMNID
	// Vectors is Number-Of-Requested-Vectors for E-UTRAN; 0 with no
	// Resync and no ImmediateResponsePreferred leaves out
	// Requested-EUTRAN-Authentication-Info.
	Vectors                    uint32
	ImmediateResponsePreferred bool
	Resync                     *Resync // the UE reported a synchronisation failure
}

// Resync is Re-Synchronization-Info: the RAND of the failed challenge and
// the UE's AUTS.
type Resync struct {
	RAND [RANDLen]byte
	AUTS [AUTSLen]byte
}

// Build encodes the AIR.
func (r *AIR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("AIR", false); err != nil {
		return nil, err
	}
	if r.UserName == "" {
		return nil, fmt.Errorf("diameter: build AIR: User-Name is empty")
	}
	m := newMessage(AppS6a, CmdAuthenticationInfo, true)
	r.RequestHeader.put(m, s6aAppIDs()...)
	put(m, utf8(avpUserName, r.UserName))
	if r.Vectors > 0 || r.ImmediateResponsePreferred || r.Resync != nil {
		var imm, rs *diam.AVP
		if r.ImmediateResponsePreferred {
			imm = u32(avpImmediateResponse, 1)
		}
		if r.Resync != nil {
			rs = octets(avpResyncInfo, append(r.Resync.RAND[:], r.Resync.AUTS[:]...))
		}
		put(m, group(avpRequestedEUTRANAuth, optU32(avpNumberOfVectors, r.Vectors), imm, rs))
	}
	put(m, octets(avpVisitedPLMNID, r.VisitedPLMN[:]))
	return m, nil
}

// ParseAIR decodes an AIR.
func ParseAIR(m *diam.Message) (*AIR, error) {
	if err := checkCommand(m, "AIR", AppS6a, CmdAuthenticationInfo, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "AIR"}
	l := topLevel(m)
	air := &AIR{RequestHeader: r.requestHeader(l, false), UserName: r.str(l, avpUserName, true)}
	r.u32(l, avpAuthSessionState, true)
	copy(air.VisitedPLMN[:], r.fixed(l, avpVisitedPLMNID, 3, true))
	if g, ok := r.group(l, avpRequestedEUTRANAuth, false); ok {
		air.Vectors = r.u32(g, avpNumberOfVectors, false)
		air.ImmediateResponsePreferred = r.has(g, avpImmediateResponse)
		if b := r.fixed(g, avpResyncInfo, RANDLen+AUTSLen, false); b != nil {
			air.Resync = &Resync{RAND: [RANDLen]byte(b[:RANDLen]), AUTS: [AUTSLen]byte(b[RANDLen:])}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return air, nil
}

// AIA is an Authentication-Information-Answer (TS 29.272 7.2.6).
type AIA struct {
	AnswerHeader
	Vectors []EUTRANVector // in Authentication-Info, on success
}

// EUTRANVector is one EPS authentication vector (TS 33.401 6.1.1).
type EUTRANVector struct {
	RAND  [RANDLen]byte
	XRES  []byte // 4 to 16 octets (8 with Milenage)
	AUTN  [AUTNLen]byte
	KASME [KASMELen]byte
}

// Build encodes the AIA.
func (a *AIA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("AIA"); err != nil {
		return nil, err
	}
	m := newMessage(AppS6a, CmdAuthenticationInfo, false)
	a.AnswerHeader.put(m, s6aAppIDs()...)
	if len(a.Vectors) > 0 {
		vs := make([]*diam.AVP, 0, len(a.Vectors))
		for i, v := range a.Vectors {
			if len(v.XRES) < 4 || len(v.XRES) > 16 {
				return nil, fmt.Errorf("diameter: build AIA: vector %d: XRES of %d octets, want 4 to 16", i+1, len(v.XRES))
			}
			vs = append(vs, group(avpEUTRANVector, u32(avpItemNumber, uint32(i+1)), octets(avpRAND, v.RAND[:]),
				octets(avpXRES, v.XRES), octets(avpAUTN, v.AUTN[:]), octets(avpKASME, v.KASME[:])))
		}
		put(m, group(avpAuthenticationInfo, vs...))
	}
	return m, nil
}

// ParseAIA decodes an AIA.
func ParseAIA(m *diam.Message) (*AIA, error) {
	if err := checkCommand(m, "AIA", AppS6a, CmdAuthenticationInfo, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "AIA"}
	l := topLevel(m)
	a := &AIA{AnswerHeader: r.answerHeader(l)}
	r.u32(l, avpAuthSessionState, true)
	if g, ok := r.group(l, avpAuthenticationInfo, false); ok {
		for _, vg := range r.groups(g, avpEUTRANVector) {
			var v EUTRANVector
			copy(v.RAND[:], r.fixed(vg, avpRAND, RANDLen, true))
			v.XRES = r.bytes(vg, avpXRES, true)
			if v.XRES != nil && (len(v.XRES) < 4 || len(v.XRES) > 16) {
				r.invalid(vg, avpXRES, "%d octets, want 4 to 16", len(v.XRES))
			}
			copy(v.AUTN[:], r.fixed(vg, avpAUTN, AUTNLen, true))
			copy(v.KASME[:], r.fixed(vg, avpKASME, KASMELen, true))
			a.Vectors = append(a.Vectors, v)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}
