package diameter

import (
	"github.com/fiorix/go-diameter/v4/diam"
)

// SAR is a Server-Assignment-Request, S-CSCF to HSS (TS 29.229 6.1.3).
type SAR struct {
	RequestHeader
	UserName         string   // the IMPI; "" leaves it out
	PublicIdentities []string // the IMPUs concerned; may be none when UserName is set
	ServerName       string   // the S-CSCF
	AssignmentType   uint32   // Server-Assignment-Type: AssignRegistration ...
	// UserDataAvailable is User-Data-Already-Available:
	// UserDataNotAvailable or UserDataAlreadyAvailable.
	UserDataAvailable uint32
}

// Build encodes the SAR.
func (r *SAR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("SAR", false); err != nil {
		return nil, err
	}
	if err := nonEmpty("SAR", "Server-Name", r.ServerName); err != nil {
		return nil, err
	}
	if r.UserName == "" && len(r.PublicIdentities) == 0 {
		return nil, nonEmpty("SAR", "User-Name or Public-Identity", "")
	}
	m := newMessage(AppCx, CmdServerAssignment, true)
	r.RequestHeader.put(m, cxAppIDs()...)
	put(m, optUTF8(avpUserName, r.UserName))
	for _, p := range r.PublicIdentities {
		put(m, utf8(avpPublicIdentity, p))
	}
	put(m, utf8(avpServerName, r.ServerName), enum(avpServerAssignType, r.AssignmentType),
		enum(avpUserDataAvailable, r.UserDataAvailable))
	return m, nil
}

// ParseSAR decodes a SAR.
func ParseSAR(m *diam.Message) (*SAR, error) {
	if err := checkCommand(m, "SAR", AppCx, CmdServerAssignment, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "SAR"}
	l := topLevel(m)
	s := &SAR{RequestHeader: r.requestHeader(l, false), UserName: r.str(l, avpUserName, false),
		PublicIdentities: r.strs(l, avpPublicIdentity), ServerName: r.str(l, avpServerName, true),
		AssignmentType: r.u32(l, avpServerAssignType, true), UserDataAvailable: r.u32(l, avpUserDataAvailable, true)}
	if r.err == nil && s.UserName == "" && len(s.PublicIdentities) == 0 {
		r.missing(l, def{name: "User-Name or Public-Identity"})
	}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// SAA is a Server-Assignment-Answer (TS 29.229 6.1.4).
type SAA struct {
	AnswerHeader
	UserName string // the IMPI; "" leaves it out
	UserData []byte // User-Data: the IMS subscription XML (see UserData); nil leaves it out
}

// Build encodes the SAA.
func (a *SAA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("SAA"); err != nil {
		return nil, err
	}
	m := newMessage(AppCx, CmdServerAssignment, false)
	a.AnswerHeader.put(m, cxAppIDs()...)
	put(m, optUTF8(avpUserName, a.UserName))
	if a.UserData != nil {
		put(m, octets(avpUserData, a.UserData))
	}
	return m, nil
}

// ParseSAA decodes a SAA (the User-Data stays raw: ParseUserData reads it).
func ParseSAA(m *diam.Message) (*SAA, error) {
	if err := checkCommand(m, "SAA", AppCx, CmdServerAssignment, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "SAA"}
	l := topLevel(m)
	a := &SAA{AnswerHeader: r.answerHeader(l), UserName: r.str(l, avpUserName, false),
		UserData: r.bytes(l, avpUserData, false)}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// LIR is a Location-Info-Request, I-CSCF to HSS (TS 29.229 6.1.5).
type LIR struct {
	RequestHeader
	PublicIdentity string
	Originating    bool // Originating-Request ORIGINATING
	// Capabilities asks for Server-Capabilities as well
	// (User-Authorization-Type REGISTRATION_AND_CAPABILITIES).
	Capabilities bool
}

// Build encodes the LIR.
func (r *LIR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("LIR", false); err != nil {
		return nil, err
	}
	if err := nonEmpty("LIR", "Public-Identity", r.PublicIdentity); err != nil {
		return nil, err
	}
	m := newMessage(AppCx, CmdLocationInfo, true)
	r.RequestHeader.put(m, cxAppIDs()...)
	if r.Originating {
		put(m, enum(avpOriginatingRequest, 0))
	}
	put(m, utf8(avpPublicIdentity, r.PublicIdentity))
	if r.Capabilities {
		put(m, enum(avpUserAuthType, AuthTypeRegistrationAndCapabilities))
	}
	return m, nil
}

// ParseLIR decodes a LIR.
func ParseLIR(m *diam.Message) (*LIR, error) {
	if err := checkCommand(m, "LIR", AppCx, CmdLocationInfo, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "LIR"}
	l := topLevel(m)
	q := &LIR{RequestHeader: r.requestHeader(l, false), PublicIdentity: r.str(l, avpPublicIdentity, true),
		Originating: r.has(l, avpOriginatingRequest)}
	if l.find(avpUserAuthType) != nil {
		q.Capabilities = r.u32(l, avpUserAuthType, false) == AuthTypeRegistrationAndCapabilities
	}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return q, nil
}

// LIA is a Location-Info-Answer (TS 29.229 6.1.6).
type LIA struct {
	AnswerHeader
	ServerName   string              // the S-CSCF serving the identity; "" leaves it out
	Capabilities *ServerCapabilities // nil leaves it out
}

// Build encodes the LIA.
func (a *LIA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("LIA"); err != nil {
		return nil, err
	}
	m := newMessage(AppCx, CmdLocationInfo, false)
	a.AnswerHeader.put(m, cxAppIDs()...)
	put(m, optUTF8(avpServerName, a.ServerName), optCaps(a.Capabilities))
	return m, nil
}

// ParseLIA decodes a LIA.
func ParseLIA(m *diam.Message) (*LIA, error) {
	if err := checkCommand(m, "LIA", AppCx, CmdLocationInfo, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "LIA"}
	l := topLevel(m)
	a := &LIA{AnswerHeader: r.answerHeader(l), ServerName: r.str(l, avpServerName, false),
		Capabilities: r.serverCapabilities(l)}
	r.checkCxApp(l)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}
