package hss

import (
	"context"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// serveSAR answers Server-Assignment (TS 29.228 6.1.2.1): the S-CSCF
// registers, deregisters or takes an unregistered user, and gets the
// user profile.
func (c *cxService) serveSAR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	q, err := diameter.ParseSAR(m)
	if err != nil {
		return nil, err
	}
	var impu string
	if len(q.PublicIdentities) > 0 {
		impu = q.PublicIdentities[0]
	}
	a := &diameter.SAA{UserName: q.UserName}
	s, res := c.resolve(ctx, "SAR", q.UserName, impu)
	if res.OK() {
		var profile bool
		res, profile = c.assign(s.imsi, q.ServerName, q.AssignmentType)
		if profile && q.UserDataAvailable == diameter.UserDataNotAvailable {
			if a.UserData, err = userData(s.ids); err != nil {
				return nil, err
			}
		}
		if a.UserName == "" && res.OK() {
			a.UserName = s.ids.IMPI
		}
	}
	a.AnswerHeader = c.answer(q.SessionID, res)
	return a.Build()
}

// assign applies a Server-Assignment-Type; profile says the answer
// carries the user profile.
func (c *cxService) assign(imsi, server string, typ uint32) (res diameter.Result, profile bool) {
	log := c.h.log.With("imsi", imsi, "scscf", server, "assignment", typ)
	res = diameter.Success
	switch typ {
	case diameter.AssignRegistration, diameter.AssignReRegistration:
		c.update(imsi, func(r *IMSRegistration) { r.State, r.ServerName = IMSRegistered, server })
		log.Info("IMS registered")
		return res, true
	case diameter.AssignUnregisteredUser:
		c.update(imsi, func(r *IMSRegistration) {
			if r.State != IMSRegistered {
				r.State, r.ServerName = IMSUnregistered, server
			}
		})
		return res, true
	case diameter.AssignNoAssignment:
		if c.state(imsi).ServerName != server {
			log.Warn("SAR NO_ASSIGNMENT from an S-CSCF not assigned")
			return diameter.Result{Code: diameter.ResultUnableToComply}, false
		}
		return res, true
	case diameter.AssignTimeoutDeregistration, diameter.AssignUserDeregistration,
		diameter.AssignAdministrativeDeregistration, diameter.AssignDeregistrationTooMuchData:
		c.deregister(imsi, server, false)
	case diameter.AssignTimeoutDeregistrationStoreName, diameter.AssignUserDeregistrationStoreName:
		c.deregister(imsi, server, true)
	case diameter.AssignAuthenticationFailure, diameter.AssignAuthenticationTimeout:
		// A registered user stays so; a pending S-CSCF is forgotten.
		c.update(imsi, func(r *IMSRegistration) {
			if r.State == IMSNotRegistered {
				r.ServerName = ""
			}
		})
	default:
		return diameter.Experimental(diameter.ExpErrorInAssignmentType), false
	}
	return res, false
}

// deregister ends the registration served by server; one from an S-CSCF
// that no longer serves the user (after a re-assignment) changes nothing.
// keep leaves the S-CSCF assigned for unregistered services.
func (c *cxService) deregister(imsi, server string, keep bool) {
	c.update(imsi, func(r *IMSRegistration) {
		if r.ServerName != "" && r.ServerName != server {
			c.h.log.Info("deregistration from an S-CSCF not assigned: ignored", "imsi", imsi, "scscf", server,
				"assigned", r.ServerName)
			return
		}
		r.State, r.ServerName = IMSNotRegistered, ""
		if keep {
			r.State, r.ServerName = IMSUnregistered, server
		}
	})
	c.h.log.Info("IMS deregistered", "imsi", imsi, "scscf", server, "server_name_kept", keep)
}

// userData is the user profile of SAA (TS 29.228 Annex E), one service
// profile with every derived public identity.
func userData(ids diameter.IMSIdentities) ([]byte, error) {
	var pub []diameter.PublicIdentity
	for _, p := range ids.Public() {
		pub = append(pub, diameter.PublicIdentity{Identity: p})
	}
	s := &diameter.IMSSubscription{PrivateID: ids.IMPI,
		ServiceProfiles: []diameter.ServiceProfile{{PublicIdentities: pub}}}
	return s.Marshal()
}

// serveLIR answers Location-Info (TS 29.228 6.1.4.1): the S-CSCF serving
// a public identity, for terminating (or originating) requests.
func (c *cxService) serveLIR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	q, err := diameter.ParseLIR(m)
	if err != nil {
		return nil, err
	}
	a := &diameter.LIA{}
	s, res := c.resolve(ctx, "LIR", "", q.PublicIdentity)
	if res.OK() {
		res, a.ServerName, a.Capabilities = c.locate(s.imsi, q.Capabilities)
	}
	a.AnswerHeader = c.answer(q.SessionID, res)
	return a.Build()
}

func (c *cxService) locate(imsi string, wantCaps bool) (diameter.Result, string, *diameter.ServerCapabilities) {
	reg := c.state(imsi)
	switch {
	case wantCaps:
		return diameter.Success, "", c.caps
	case reg.State != IMSNotRegistered:
		return diameter.Success, reg.ServerName, nil
	case c.h.cfg.Cx.UnregisteredServices:
		return diameter.Experimental(diameter.ExpUnregisteredService), "", c.caps
	}
	return diameter.Experimental(diameter.ExpErrorIdentityNotRegistered), "", nil
}
