package fakecore

import (
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// ueCtx is the core's view of one UE: the AMF context, which outlives a
// connection, and its sessions.
type ueCtx struct {
	supi      string
	conn      sctp.Conn
	amfID     uint64
	ranID     uint32
	connected bool
	gone      bool // deregistered or rejected: forget it once released

	vector   aka.Vector
	milenage *aka.Milenage
	sec      *nas5g.SecurityContext
	kamf     aka.Key256
	caps     nas5g.UESecurityCapability
	guti     nas5g.GUTI
	sessions map[uint8]*smSession
}

func (u *ueCtx) ids() n2.UEIDs { return n2.UEIDs{AMFUENGAPID: u.amfID, RANUENGAPID: u.ranID} }

// bind attaches the UE to a new NG-connection, which has no user plane
// until the gNB answers for it (the old one's release may still come).
func (c *Core) bind(u *ueCtx, conn sctp.Conn, ranID uint32) {
	if u.connected {
		delete(c.byAMFID, u.amfID)
	}
	for _, s := range u.sessions {
		s.active = false
	}
	u.conn, u.ranID, u.amfID, u.connected = conn, ranID, c.nextAMFID, true
	c.nextAMFID++
	c.byAMFID[u.amfID] = u
}

func (c *Core) initialUE(conn sctp.Conn, r *n2.InitialUEMessage) {
	ht, err := nas5g.HeaderTypeOf(r.NASPDU)
	if err != nil {
		return
	}
	if ht == nas5g.Plain {
		c.registrationRequest(conn, r)
		return
	}
	_, inner, err := nas5g.ParseSecurityHeader(r.NASPDU)
	if err != nil {
		return
	}
	mt, _, err := nas5g.PeekType(inner)
	if err != nil {
		return
	}
	var tmsi uint32
	switch mt {
	case nas5g.MsgServiceRequest:
		sr, err := nas5g.ParseServiceRequest(inner)
		if err != nil {
			return
		}
		tmsi = sr.STMSI.TMSI
	case nas5g.MsgDeregistrationRequestUEOriginating:
		dr, err := nas5g.ParseDeregistrationRequest(inner)
		if err != nil || dr.Identity.GUTI == nil {
			return
		}
		tmsi = dr.Identity.GUTI.TMSI
	default:
		return
	}
	u := c.byTMSI[tmsi]
	if u == nil || u.sec == nil {
		c.rejectUnknown(conn, r.RANUENGAPID)
		return
	}
	plain, _, err := u.sec.Unprotect(r.NASPDU)
	if err != nil {
		c.rejectUnknown(conn, r.RANUENGAPID)
		return
	}
	c.bind(u, conn, r.RANUENGAPID)
	if mt == nas5g.MsgServiceRequest {
		c.serviceRequest(u)
		return
	}
	if dr, err := nas5g.ParseDeregistrationRequest(plain); err == nil {
		c.deregister(u, dr)
	}
}

// rejectUnknown answers a Service Request the core cannot place (#9).
func (c *Core) rejectUnknown(conn sctp.Conn, ranID uint32) {
	b, err := (&nas5g.ServiceReject{Cause: nas5g.CauseUEIdentityCannotBeDerived}).Encode()
	if err != nil {
		c.log.Error("fakecore: encode service reject", "err", err)
		return
	}
	ids := n2.UEIDs{AMFUENGAPID: c.nextAMFID, RANUENGAPID: ranID}
	c.nextAMFID++
	c.send(conn, &n2.DownlinkNASTransport{UEIDs: ids, NASPDU: b})
	c.send(conn, &n2.UEContextReleaseCommand{UEIDs: ids, Cause: n2.CauseNormalRelease})
}

func (c *Core) registrationRequest(conn sctp.Conn, r *n2.InitialUEMessage) {
	rr, err := nas5g.ParseRegistrationRequest(r.NASPDU)
	if err != nil || rr.Identity.SUCI == nil || rr.SecurityCapability == nil {
		c.log.Warn("fakecore: registration request unusable", "err", err)
		return
	}
	supi, err := c.deconceal(rr.Identity.SUCI)
	if err != nil {
		c.log.Warn("fakecore: suci", "err", err)
		return
	}
	if old := c.bySUPI[supi]; old != nil {
		c.forget(old)
	}
	u := &ueCtx{supi: supi, caps: *rr.SecurityCapability, sessions: map[uint8]*smSession{}}
	c.bySUPI[supi] = u
	c.bind(u, conn, r.RANUENGAPID)
	c.authenticate(u)
}

// deconceal recovers the SUPI of a SUCI, as the UDM's SIDF does.
func (c *Core) deconceal(s *nas5g.SUCI) (string, error) {
	as := aka.SUCI{MCC: s.PLMN.MCC, MNC: s.PLMN.MNC, RoutingIndicator: s.RoutingIndicator,
		Scheme: aka.ProtectionScheme(s.ProtectionScheme), HNKeyID: s.HomeNetworkKeyID, SchemeOutput: s.SchemeOutput}
	if as.Scheme == aka.SchemeNull {
		msin, err := s.MSIN()
		if err != nil {
			return "", err
		}
		return "imsi-" + s.PLMN.MCC + s.PLMN.MNC + msin, nil
	}
	key := c.cfg.HNKeys[s.HomeNetworkKeyID]
	if key == nil {
		return "", fmt.Errorf("no home network key %d", s.HomeNetworkKeyID)
	}
	imsi, err := as.Deconceal(key)
	if err != nil {
		return "", err
	}
	return imsi.SUPI(), nil
}

func (c *Core) authenticate(u *ueCtx) {
	sub, err := c.subscriberLocked(u.supi)
	if err != nil {
		c.authReject(u)
		return
	}
	if u.milenage, err = aka.NewMilenage(sub.K, sub.OPc); err != nil {
		c.authReject(u)
		return
	}
	rnd, err := aka.NewRAND()
	if err != nil {
		c.authReject(u)
		return
	}
	if u.vector, err = u.milenage.GenerateVector(sub.SQN, aka.AMF5G, c.snn, rnd); err != nil {
		c.authReject(u)
		return
	}
	sub.SQN = sub.SQN.Next()
	req := &nas5g.AuthenticationRequest{NgKSI: nas5g.KSI{Value: 1}, ABBA: []byte{0, 0}, RAND: u.vector.RAND, AUTN: u.vector.AUTN}
	c.dlPlain(u, req)
}

func (c *Core) authReject(u *ueCtx) {
	c.stats.AuthRejects++
	c.dlPlain(u, &nas5g.AuthenticationReject{})
	u.gone = true
	c.send(u.conn, &n2.UEContextReleaseCommand{UEIDs: u.ids(), Cause: n2.CauseAuthenticationFailure})
}

func (c *Core) uplinkNAS(u *ueCtx, pdu []byte) {
	ht, err := nas5g.HeaderTypeOf(pdu)
	if err != nil {
		return
	}
	if ht == nas5g.Plain {
		c.plainUplink(u, pdu)
		return
	}
	if u.sec == nil {
		return
	}
	plain, _, err := u.sec.Unprotect(pdu)
	if err != nil {
		c.log.Warn("fakecore: uplink nas does not verify", "supi", u.supi, "err", err)
		return
	}
	m, err := nas5g.Decode(plain)
	if err != nil {
		return
	}
	switch r := m.(type) {
	case *nas5g.SecurityModeComplete:
		c.securityModeComplete(u, r)
	case *nas5g.SecurityModeReject:
		c.authReject(u)
	case *nas5g.RegistrationComplete:
		c.stats.Registered++
	case *nas5g.ULNASTransport:
		c.session(u, r)
	case *nas5g.DeregistrationRequest:
		c.deregister(u, r)
	}
}

func (c *Core) plainUplink(u *ueCtx, pdu []byte) {
	m, err := nas5g.Decode(pdu)
	if err != nil {
		return
	}
	switch r := m.(type) {
	case *nas5g.AuthenticationResponse:
		if r.RESStar != u.vector.XRESStar {
			c.authReject(u)
			return
		}
		c.securityMode(u)
	case *nas5g.AuthenticationFailure:
		if r.Cause != nas5g.CauseSynchFailure {
			c.authReject(u)
			return
		}
		auts, err := aka.ParseAUTS(r.AUTS)
		if err != nil {
			c.authReject(u)
			return
		}
		sqnMS, err := u.milenage.VerifyAUTS(u.vector.RAND, auts)
		if err != nil {
			c.authReject(u)
			return
		}
		sub, err := c.subscriberLocked(u.supi)
		if err != nil {
			c.authReject(u)
			return
		}
		sub.SQN = aka.ResyncSQN(sqnMS)
		c.stats.Resyncs++
		c.authenticate(u)
	}
}

// securityMode derives the keys and sends the Security Mode Command.
func (c *Core) securityMode(u *ueCtx) {
	kseaf, err := u.vector.KSEAF()
	if err == nil {
		u.kamf, err = aka.DeriveKAMF(kseaf, u.supi, []byte{0, 0})
	}
	var enc, integ aka.Key128
	if err == nil {
		enc, integ, err = aka.DeriveNASKeys(u.kamf, c.cfg.EncAlg, c.cfg.IntAlg)
	}
	if err != nil {
		c.authReject(u)
		return
	}
	u.sec = &nas5g.SecurityContext{KNASenc: enc, KNASint: integ, EncAlg: c.cfg.EncAlg, IntAlg: c.cfg.IntAlg,
		Direction: nas5g.Downlink}
	smc := &nas5g.SecurityModeCommand{EncAlg: c.cfg.EncAlg, IntAlg: c.cfg.IntAlg, NgKSI: nas5g.KSI{Value: 1},
		ReplayedCapability: u.caps, IMEISVRequest: true, ABBA: []byte{0, 0}}
	c.dlProtected(u, smc, nas5g.IntegrityProtectedNewContext)
}

func (c *Core) securityModeComplete(u *ueCtx, r *nas5g.SecurityModeComplete) {
	if _, err := nas5g.ParseRegistrationRequest(r.NASMessageContainer); err != nil {
		c.log.Warn("fakecore: security mode complete without the registration request", "err", err)
		c.authReject(u)
		return
	}
	if old := c.byTMSI[u.guti.TMSI]; old == u {
		delete(c.byTMSI, u.guti.TMSI)
	}
	g := c.guami()
	u.guti = nas5g.GUTI{PLMN: c.cfg.PLMN, AMFRegionID: g.RegionID, AMFSetID: g.SetID, AMFPointer: g.Pointer, TMSI: c.nextTMSI}
	c.nextTMSI++
	c.byTMSI[u.guti.TMSI] = u
	accept := &nas5g.RegistrationAccept{GUTI: &u.guti, TAIList: []nas5g.TAI{{PLMN: c.cfg.PLMN, TAC: 1}},
		AllowedNSSAI: []nas5g.SNSSAI{{SST: 1}}, T3512: nas5g.TimerDeactivated}
	c.contextSetup(u, accept, nil)
}

// contextSetup sends Initial Context Setup with a NAS message and sessions.
func (c *Core) contextSetup(u *ueCtx, m nas5g.Message, sessions []n2.SessionSetupItem) {
	pdu, err := c.protect(u, m)
	if err != nil {
		return
	}
	kgnb, err := aka.DeriveKgNB(u.kamf, uint32(u.sec.ULCount), aka.Access3GPP)
	if err != nil {
		return
	}
	req := &n2.InitialContextSetupRequest{UEIDs: u.ids(), GUAMI: c.guami(), AllowedNSSAI: []n2.SNSSAI{{SST: 1}},
		SecurityCapabilities: n2.UESecurityCapabilities{NREncryption: uint16(u.caps.EA&0x70) << 9,
			NRIntegrity: uint16(u.caps.IA&0x70) << 9},
		SecurityKey: kgnb, NASPDU: pdu, Sessions: sessions}
	if len(sessions) > 0 {
		req.UEAMBR = nas5g.AMBR{Uplink: 1e9, Downlink: 1e9}
	}
	c.send(u.conn, req)
}

func (c *Core) serviceRequest(u *ueCtx) {
	c.stats.ServiceRequests++
	var status uint16
	var items []n2.SessionSetupItem
	for id, s := range u.sessions {
		status |= 1 << id
		it, err := c.setupItem(s, nil)
		if err != nil {
			return
		}
		items = append(items, it)
	}
	c.contextSetup(u, &nas5g.ServiceAccept{PDUSessionStatus: status}, items)
}

func (c *Core) deregister(u *ueCtx, r *nas5g.DeregistrationRequest) {
	if !r.SwitchOff {
		c.dlProtectedNAS(u, &nas5g.DeregistrationAccept{})
	}
	c.stats.Deregistered++
	u.gone = true
	c.send(u.conn, &n2.UEContextReleaseCommand{UEIDs: u.ids(), Cause: n2.CauseDeregister})
}

// released ends a UE's NG-connection; a deregistered UE is forgotten.
func (c *Core) released(amfID uint64) {
	u := c.byAMFID[amfID]
	if u == nil {
		return
	}
	c.stats.ContextReleases++
	delete(c.byAMFID, amfID)
	u.connected = false
	for _, s := range u.sessions {
		s.active = false
	}
	if u.gone {
		c.forget(u)
	}
}

func (c *Core) forget(u *ueCtx) {
	for _, s := range u.sessions {
		c.up.RemoveTunnel(s.ulTEID)
	}
	if c.bySUPI[u.supi] == u {
		delete(c.bySUPI, u.supi)
	}
	if c.byTMSI[u.guti.TMSI] == u {
		delete(c.byTMSI, u.guti.TMSI)
	}
	if u.connected && c.byAMFID[u.amfID] == u {
		delete(c.byAMFID, u.amfID)
	}
}

func (c *Core) protect(u *ueCtx, m nas5g.Message) ([]byte, error) {
	plain, err := m.Encode()
	if err != nil {
		c.log.Error("fakecore: encode nas", "err", err)
		return nil, err
	}
	pdu, err := u.sec.Protect(plain, nas5g.IntegrityProtectedAndCiphered)
	if err != nil {
		c.log.Error("fakecore: protect nas", "err", err)
		return nil, err
	}
	return pdu, nil
}

func (c *Core) dlPlain(u *ueCtx, m nas5g.Message) {
	b, err := m.Encode()
	if err != nil {
		c.log.Error("fakecore: encode nas", "err", err)
		return
	}
	c.send(u.conn, &n2.DownlinkNASTransport{UEIDs: u.ids(), NASPDU: b})
}

func (c *Core) dlProtected(u *ueCtx, m nas5g.Message, ht nas5g.HeaderType) {
	plain, err := m.Encode()
	if err != nil {
		c.log.Error("fakecore: encode nas", "err", err)
		return
	}
	pdu, err := u.sec.Protect(plain, ht)
	if err != nil {
		c.log.Error("fakecore: protect nas", "err", err)
		return
	}
	c.send(u.conn, &n2.DownlinkNASTransport{UEIDs: u.ids(), NASPDU: pdu})
}

func (c *Core) dlProtectedNAS(u *ueCtx, m nas5g.Message) {
	c.dlProtected(u, m, nas5g.IntegrityProtectedAndCiphered)
}

// nextAddr hands out the next pool address.
func (c *Core) nextAddr() (netip.Addr, error) {
	a := c.nextIP
	if !c.pool.Contains(a) {
		return netip.Addr{}, fmt.Errorf("fakecore: pool %s exhausted", c.pool)
	}
	c.nextIP = a.Next()
	return a, nil
}
