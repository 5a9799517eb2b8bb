package hss

import (
	"context"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// serveUAR answers User-Authorization (TS 29.228 6.1.1.1): which S-CSCF
// serves the identity, or the capabilities to choose one.
func (c *cxService) serveUAR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	u, err := diameter.ParseUAR(m)
	if err != nil {
		return nil, err
	}
	a := &diameter.UAA{}
	s, res := c.resolve(ctx, "UAR", u.UserName, u.PublicIdentity)
	if res.OK() {
		res, a.ServerName, a.Capabilities = c.authorize(s.imsi, u.AuthorizationType)
	}
	a.AnswerHeader = c.answer(u.SessionID, res)
	return a.Build()
}

// authorize is the UAR decision for a known subscriber.
func (c *cxService) authorize(imsi string, authType uint32) (diameter.Result, string, *diameter.ServerCapabilities) {
	reg := c.state(imsi)
	switch authType {
	case diameter.AuthTypeDeregistration:
		if reg.ServerName == "" {
			return diameter.Experimental(diameter.ExpErrorIdentityNotRegistered), "", nil
		}
		return diameter.Success, reg.ServerName, nil
	case diameter.AuthTypeRegistrationAndCapabilities:
		return diameter.Experimental(diameter.ExpFirstRegistration), "", c.caps
	}
	switch {
	case reg.State != IMSNotRegistered:
		return diameter.Experimental(diameter.ExpSubsequentRegistration), reg.ServerName, nil
	case reg.ServerName != "": // authentication pending at that S-CSCF
		return diameter.Experimental(diameter.ExpFirstRegistration), reg.ServerName, nil
	}
	return diameter.Experimental(diameter.ExpFirstRegistration), "", c.caps
}

// serveMAR answers Multimedia-Auth (TS 29.228 6.3.1) with IMS AKA
// vectors. They come from the same K/OPc and the same SQN on the UDR as
// the EPS vectors of AIR (one SQN sequence for the subscriber), claimed
// and resynchronised by the same code.
func (c *cxService) serveMAR(ctx context.Context, _ *diameter.Peer, m *diam.Message) (*diam.Message, error) {
	q, err := diameter.ParseMAR(m)
	if err != nil {
		return nil, err
	}
	a := &diameter.MAA{UserName: q.UserName, PublicIdentity: q.PublicIdentity}
	s, res := c.resolve(ctx, "MAR", q.UserName, q.PublicIdentity)
	if res.OK() && q.Scheme != diameter.SchemeDigestAKAv1MD5 && q.Scheme != diameter.SchemeUnknown {
		c.h.log.Info("MAR for an unsupported scheme", "scheme", q.Scheme)
		res = diameter.Experimental(diameter.ExpErrorAuthSchemeNotSupported)
	}
	if res.OK() {
		n := min(max(q.Items, 1), c.h.cfg.MaxVectors)
		if a.Items, res = c.akaItems(ctx, s.imsi, n, q.Resync); res.OK() {
			c.pending(s.imsi, q.ServerName)
		}
	}
	a.AnswerHeader = c.answer(q.SessionID, res)
	return a.Build()
}

// pending records the S-CSCF authenticating a subscriber not registered
// yet (TS 29.228 6.3.1); a registered one keeps its S-CSCF until SAR.
func (c *cxService) pending(imsi, server string) {
	c.update(imsi, func(r *IMSRegistration) {
		if r.State == IMSNotRegistered {
			r.ServerName = server
		}
	})
}

// akaItems claims n SQNs and builds as many IMS AKA vectors.
func (c *cxService) akaItems(ctx context.Context, imsi string, n uint32, rs *diameter.Resync) (
	[]diameter.AKAItem, diameter.Result) {
	supi := "imsi-" + imsi
	unlock := c.h.locks.lock(supi)
	defer unlock()
	sqn, amf, mil, err := c.h.claimSQNs(ctx, supi, n, rs)
	if err != nil {
		return nil, c.h.failure("MAR", imsi, err)
	}
	// claimSQNs sets the EPS separation bit; an IMS AKA vector is no
	// E-UTRAN vector, so it goes out clear (TS 33.102 Annex H, TS
	// 33.401 6.1.2).
	amf &^= aka.AMF5G
	out := make([]diameter.AKAItem, 0, n)
	for range n {
		rand, err := aka.NewRAND()
		if err != nil {
			return nil, c.h.failure("MAR", imsi, err)
		}
		out = append(out, imsVector(mil, sqn, amf, rand))
		sqn = sqn.Next()
	}
	c.vectors.Add(float64(n))
	return out, diameter.Success
}

// imsVector is one IMS AKA vector (TS 33.203 6.1): AUTN = SQN xor AK ||
// AMF || MAC-A, with XRES, CK and IK.
func imsVector(mil *aka.Milenage, sqn aka.SQN, amf aka.AMF, rand aka.RAND) diameter.AKAItem {
	res, ck, ik, ak := mil.F2345(rand)
	mac := mil.F1(rand, sqn, amf)
	conc := sqn.Bytes()
	for i := range conc {
		conc[i] ^= ak[i]
	}
	it := diameter.AKAItem{RAND: rand, XRES: res[:], CK: ck, IK: ik}
	a := amf.Bytes()
	copy(it.AUTN[:], conc[:])
	copy(it.AUTN[len(conc):], a[:])
	copy(it.AUTN[len(conc)+len(a):], mac[:])
	return it
}
