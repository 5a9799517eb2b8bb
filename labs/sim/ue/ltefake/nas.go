package ltefake

import (
	"encoding/binary"
	"net/netip"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// ueCtx is one UE in the MME; everything is guarded by Fake.mu.
type ueCtx struct {
	imsi      string
	key       radioKey
	connected bool
	caps      naseps.UENetworkCapability
	mil       *aka.Milenage
	vector    aka.EPSVector
	ksi       uint8
	sec       *naseps.SecurityContext
	guti      naseps.GUTI
	attached  bool
	attachPTI uint8
	wantsInfo bool        // ESM information transfer flag
	apn       string      // asked for at attach
	pco       *naseps.PCO // asked for at attach
	bearers   map[uint8]*bearer
	pending   []heldPacket // downlink held while paging
}

// bearer is one EPS bearer in the network.
type bearer struct {
	ebi, linked uint8
	apn         string
	addr        netip.Addr // of a default bearer
	accepted    bool
}

// connect is an RRC connection with an initial NAS message.
func (f *Fake) connect(key radioKey, body []byte) {
	var mtmsi *uint32
	if len(body) > 6 && body[0] == 0 {
		t := binary.BigEndian.Uint32(body[2:6])
		mtmsi, body = &t, body[6:]
	}
	ht, err := naseps.HeaderTypeOf(body)
	if err != nil {
		f.sendRadio(key, radio.Release, 0, nil)
		return
	}
	if ht == naseps.ServiceRequestHeader {
		f.serviceRequest(key, mtmsi, body)
		return
	}
	plain := body
	if ht == naseps.IntegrityProtected {
		if _, inner, err := naseps.ParseSecurityHeader(body); err == nil {
			plain = inner
		}
	}
	m, err := naseps.Parse(plain)
	if err != nil {
		f.log.Debug("ltefake: initial nas", "err", err)
		f.sendRadio(key, radio.Release, 0, nil)
		return
	}
	switch r := m.(type) {
	case *naseps.AttachRequest:
		f.attachRequest(key, r)
	case *naseps.TAURequest, *naseps.DetachRequest:
		c := f.byGUTI(mtmsi)
		if c == nil || !f.verify(c, body) {
			f.sendRadio(key, radio.Release, 0, nil)
			return
		}
		f.bind(c, key)
		if tau, ok := r.(*naseps.TAURequest); ok {
			f.tau(c, tau, true)
		} else {
			f.detach(c, r.(*naseps.DetachRequest))
		}
	default:
		f.sendRadio(key, radio.Release, 0, nil)
	}
}

// byGUTI finds the attached UE with an M-TMSI.
func (f *Fake) byGUTI(mtmsi *uint32) *ueCtx {
	if mtmsi == nil {
		return nil
	}
	imsi, ok := f.gutis[*mtmsi]
	if !ok {
		return nil
	}
	return f.byIMSI[imsi]
}

// bind makes key the UE's connection.
func (f *Fake) bind(c *ueCtx, key radioKey) {
	if c.connected && c.key != key {
		delete(f.byKey, c.key)
	}
	c.key, c.connected = key, true
	f.byKey[key] = c
}

// verify checks an integrity protected uplink PDU in c's context.
func (f *Fake) verify(c *ueCtx, pdu []byte) bool {
	if c.sec == nil {
		return false
	}
	if _, _, err := c.sec.Unprotect(pdu); err != nil {
		f.stats.IntegrityFailures++
		return false
	}
	return true
}

// attachRequest starts an attach on a fresh context: by IMSI, or by a
// GUTI we know (else the Identity Request asks for the IMSI).
func (f *Fake) attachRequest(key radioKey, r *naseps.AttachRequest) {
	c := &ueCtx{key: key, connected: true, caps: r.UENetworkCapability, bearers: map[uint8]*bearer{}}
	esm, err := naseps.ParseAs[*naseps.PDNConnectivityRequest](r.ESMContainer)
	if err != nil {
		f.log.Debug("ltefake: attach without a pdn connectivity request", "err", err)
		f.sendRadio(key, radio.Release, 0, nil)
		return
	}
	c.attachPTI, c.wantsInfo, c.apn, c.pco = esm.PTI, esm.ESMInfoTransfer, string(esm.APN), esm.PCO
	if old := f.byKey[key]; old != nil {
		delete(f.byKey, key)
		old.connected = false
	}
	f.byKey[key] = c
	switch r.Identity.Type {
	case naseps.EPSIdentityIMSI:
		f.identified(c, r.Identity.Digits)
	case naseps.EPSIdentityGUTI:
		if imsi, ok := f.gutis[r.Identity.GUTI.MTMSI]; ok {
			f.stats.AttachesByGUTI++
			f.identified(c, imsi)
			return
		}
		f.stats.IdentityRequests++
		f.dlPlain(c, &naseps.IdentityRequest{Type: naseps.IdentityIMSI})
	default:
		f.release(c)
	}
}

// identified binds c to its IMSI (dropping an older context) and
// challenges it.
func (f *Fake) identified(c *ueCtx, imsi string) {
	if old := f.byIMSI[imsi]; old != nil && old != c {
		f.drop(old)
	}
	c.imsi = imsi
	f.byIMSI[imsi] = c
	mil, err := aka.NewMilenage(f.cfg.Default.K, f.cfg.Default.OPc)
	if err != nil {
		f.log.Error("ltefake: milenage", "err", err)
		f.release(c)
		return
	}
	c.mil = mil
	f.challenge(c)
}

// challenge sends an Authentication Request with a fresh EPS vector.
func (f *Fake) challenge(c *ueCtx) {
	sqn, ok := f.seqs[c.imsi]
	if !ok {
		sqn = f.cfg.Default.SQN
	}
	rnd, err := aka.NewRAND()
	if err == nil {
		c.vector, err = c.mil.GenerateEPSVector(sqn, aka.AMF5G, f.cfg.PLMN.MCC, f.cfg.PLMN.MNC, rnd)
	}
	if err != nil {
		f.log.Error("ltefake: eps vector", "err", err)
		f.release(c)
		return
	}
	f.seqs[c.imsi] = sqn.Next()
	c.ksi = (c.ksi + 1) % naseps.KSINoKey
	f.dlPlain(c, &naseps.AuthenticationRequest{KSI: naseps.KSI{Value: c.ksi}, RAND: c.vector.RAND, AUTN: c.vector.AUTN})
}

// uplinkNAS takes a NAS PDU over a connection.
func (f *Fake) uplinkNAS(c *ueCtx, pdu []byte) {
	ht, err := naseps.HeaderTypeOf(pdu)
	if err != nil {
		return
	}
	var m naseps.Message
	if ht == naseps.Plain {
		m, err = naseps.Parse(pdu)
	} else {
		if c.sec == nil {
			return
		}
		var plain []byte
		if plain, _, err = c.sec.Unprotect(pdu); err != nil {
			f.stats.IntegrityFailures++
			return
		}
		m, err = naseps.Parse(plain)
	}
	if err != nil {
		f.log.Debug("ltefake: uplink nas", "err", err)
		return
	}
	f.emm(c, m, ht != naseps.Plain)
}

// emm dispatches one uplink message; protected says it verified.
func (f *Fake) emm(c *ueCtx, m naseps.Message, protected bool) {
	switch r := m.(type) {
	case *naseps.IdentityResponse:
		if c.imsi == "" && r.Identity.Type == naseps.IdentityIMSI {
			f.identified(c, r.Identity.Digits)
		}
	case *naseps.AuthenticationResponse:
		f.authResponse(c, r)
	case *naseps.AuthenticationFailure:
		f.authFailure(c, r)
	case *naseps.SecurityModeComplete:
		if protected {
			f.securityModeComplete(c, r)
		}
	case *naseps.SecurityModeReject:
		f.release(c)
	}
	if protected {
		f.secured(c, m)
	}
}

func (f *Fake) authResponse(c *ueCtx, r *naseps.AuthenticationResponse) {
	if c.mil == nil || !c.vector.VerifyRES(r.RES) {
		f.authReject(c)
		return
	}
	sc, err := naseps.NewSecurityContext(c.vector.KASME, f.cfg.EncAlg, f.cfg.IntAlg, naseps.Downlink)
	if err != nil {
		f.log.Error("ltefake: security context", "err", err)
		f.release(c)
		return
	}
	sc.AllowNull = f.cfg.EncAlg == naseps.EEA0
	c.sec = sc
	f.dl(c, &naseps.SecurityModeCommand{EncAlg: f.cfg.EncAlg, IntAlg: f.cfg.IntAlg, KSI: naseps.KSI{Value: c.ksi},
		ReplayedCapability: c.caps.SecurityCapability(), IMEISVRequest: true}, naseps.IntegrityProtectedNewContext)
}

// authFailure resynchronises on #21 and rejects otherwise.
func (f *Fake) authFailure(c *ueCtx, r *naseps.AuthenticationFailure) {
	if c.mil == nil || r.Cause != naseps.EMMCauseSynchFailure || r.AUTS == nil {
		f.authReject(c)
		return
	}
	sqnMS, err := c.mil.VerifyAUTS(c.vector.RAND, aka.AUTS(*r.AUTS))
	if err != nil {
		f.authReject(c)
		return
	}
	f.stats.Resyncs++
	f.seqs[c.imsi] = aka.ResyncSQN(sqnMS)
	f.challenge(c)
}

func (f *Fake) authReject(c *ueCtx) {
	f.stats.AuthRejects++
	f.dlPlain(c, &naseps.AuthenticationReject{})
	f.drop(c)
}

func (f *Fake) securityModeComplete(c *ueCtx, r *naseps.SecurityModeComplete) {
	f.stats.LastIMEISV = r.IMEISV
	if c.wantsInfo {
		f.dl(c, &naseps.ESMInformationRequest{ESMHeader: naseps.ESMHeader{PTI: c.attachPTI}}, naseps.IntegrityProtectedAndCiphered)
		return
	}
	f.attachAccept(c)
}

// secured takes what only comes protected.
func (f *Fake) secured(c *ueCtx, m naseps.Message) {
	switch r := m.(type) {
	case *naseps.ESMInformationResponse:
		if r.PTI == c.attachPTI && !c.attached {
			c.apn = string(r.APN)
			if r.PCO != nil {
				c.pco = r.PCO
			}
			f.attachAccept(c)
		}
	case *naseps.AttachComplete:
		f.attachComplete(c, r)
	case *naseps.PDNConnectivityRequest:
		f.pdnConnectivity(c, r)
	case *naseps.ActivateDefaultBearerAccept:
		if b := c.bearers[r.EBI]; b != nil && !b.accepted {
			b.accepted = true
			f.stats.PDNConnections++
		}
	case *naseps.ActivateDedicatedBearerAccept:
		if b := c.bearers[r.EBI]; b != nil && !b.accepted {
			b.accepted = true
			f.stats.DedicatedActivated++
		}
	case *naseps.ActivateDedicatedBearerReject:
		delete(c.bearers, r.EBI)
	case *naseps.DeactivateBearerAccept:
		f.bearerGone(c, r.EBI)
	case *naseps.DetachRequest:
		f.detach(c, r)
	case *naseps.TAURequest:
		f.tau(c, r, false)
	}
}

// dl sends a protected downlink message.
func (f *Fake) dl(c *ueCtx, m naseps.Message, ht naseps.HeaderType) {
	pdu, err := c.sec.ProtectMessage(m, ht)
	if err != nil {
		f.log.Error("ltefake: protect", "type", m.MessageType(), "err", err)
		return
	}
	f.sendRadio(c.key, radio.DownlinkNAS, 0, pdu)
}

func (f *Fake) dlPlain(c *ueCtx, m naseps.Message) {
	pdu, err := m.Marshal()
	if err != nil {
		f.log.Error("ltefake: encode", "type", m.MessageType(), "err", err)
		return
	}
	f.sendRadio(c.key, radio.DownlinkNAS, 0, pdu)
}
