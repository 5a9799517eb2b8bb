package diameter

import (
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
)

var (
	avpPURFlags         = tgppV(avp.PURFlags, "PUR-Flags")
	avpPUAFlags         = tgpp(avp.PUAFlags, "PUA-Flags")
	avpCancellationType = tgpp(avp.CancellationType, "Cancellation-Type")
	avpCLRFlags         = tgppV(avp.CLRFlags, "CLR-Flags")
)

// PUR is a Purge-UE-Request (TS 29.272 7.2.13).
type PUR struct {
	RequestHeader
	UserName string // the IMSI
	Flags    uint32 // PUR-Flags; 0 leaves it out
}

// Build encodes the PUR.
func (r *PUR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("PUR", false); err != nil {
		return nil, err
	}
	if r.UserName == "" {
		return nil, fmt.Errorf("diameter: build PUR: User-Name is empty")
	}
	m := newMessage(AppS6a, CmdPurgeUE, true)
	r.RequestHeader.put(m, s6aAppIDs()...)
	put(m, utf8(avpUserName, r.UserName), optU32(avpPURFlags, r.Flags))
	return m, nil
}

// ParsePUR decodes a PUR.
func ParsePUR(m *diam.Message) (*PUR, error) {
	if err := checkCommand(m, "PUR", AppS6a, CmdPurgeUE, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "PUR"}
	l := topLevel(m)
	p := &PUR{RequestHeader: r.requestHeader(l, false), UserName: r.str(l, avpUserName, true),
		Flags: r.u32(l, avpPURFlags, false)}
	r.u32(l, avpAuthSessionState, true)
	if r.err != nil {
		return nil, r.err
	}
	return p, nil
}

// PUA is a Purge-UE-Answer (TS 29.272 7.2.14).
type PUA struct {
	AnswerHeader
	Flags uint32 // PUA-Flags (PUAFreezeMTMSI ...), sent on success
}

// Build encodes the PUA.
func (a *PUA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("PUA"); err != nil {
		return nil, err
	}
	m := newMessage(AppS6a, CmdPurgeUE, false)
	a.AnswerHeader.put(m, s6aAppIDs()...)
	if a.Result.OK() || a.Flags != 0 { // mandatory on success
		put(m, u32(avpPUAFlags, a.Flags))
	}
	return m, nil
}

// ParsePUA decodes a PUA.
func ParsePUA(m *diam.Message) (*PUA, error) {
	if err := checkCommand(m, "PUA", AppS6a, CmdPurgeUE, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "PUA"}
	l := topLevel(m)
	a := &PUA{AnswerHeader: r.answerHeader(l), Flags: r.u32(l, avpPUAFlags, false)}
	r.u32(l, avpAuthSessionState, true)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// CLR is a Cancel-Location-Request, HSS to the old MME (TS 29.272
// 7.2.7); Destination-Host is mandatory.
type CLR struct {
	RequestHeader
	UserName         string
	CancellationType uint32 // CancelMMEUpdateProcedure ...
	Flags            uint32 // CLR-Flags; 0 leaves it out
}

// Build encodes the CLR.
func (r *CLR) Build() (*diam.Message, error) {
	if err := r.RequestHeader.check("CLR", true); err != nil {
		return nil, err
	}
	if r.UserName == "" {
		return nil, fmt.Errorf("diameter: build CLR: User-Name is empty")
	}
	m := newMessage(AppS6a, CmdCancelLocation, true)
	r.RequestHeader.put(m, s6aAppIDs()...)
	put(m, utf8(avpUserName, r.UserName), enum(avpCancellationType, r.CancellationType), optU32(avpCLRFlags, r.Flags))
	return m, nil
}

// ParseCLR decodes a CLR.
func ParseCLR(m *diam.Message) (*CLR, error) {
	if err := checkCommand(m, "CLR", AppS6a, CmdCancelLocation, true); err != nil {
		return nil, err
	}
	r := reader{cmd: "CLR"}
	l := topLevel(m)
	c := &CLR{RequestHeader: r.requestHeader(l, true), UserName: r.str(l, avpUserName, true),
		CancellationType: r.u32(l, avpCancellationType, true), Flags: r.u32(l, avpCLRFlags, false)}
	r.u32(l, avpAuthSessionState, true)
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// CLA is a Cancel-Location-Answer (TS 29.272 7.2.8).
type CLA struct {
	AnswerHeader
}

// Build encodes the CLA.
func (a *CLA) Build() (*diam.Message, error) {
	if err := a.AnswerHeader.check("CLA"); err != nil {
		return nil, err
	}
	m := newMessage(AppS6a, CmdCancelLocation, false)
	a.AnswerHeader.put(m, s6aAppIDs()...)
	return m, nil
}

// ParseCLA decodes a CLA.
func ParseCLA(m *diam.Message) (*CLA, error) {
	if err := checkCommand(m, "CLA", AppS6a, CmdCancelLocation, false); err != nil {
		return nil, err
	}
	r := reader{cmd: "CLA"}
	l := topLevel(m)
	a := &CLA{AnswerHeader: r.answerHeader(l)}
	r.u32(l, avpAuthSessionState, true)
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}
