package ltefake

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/nf/proto/naseps"
)

// defaultBearer allocates a default bearer for apn and builds its
// Activate Default EPS Bearer Context Request.
func (f *Fake) defaultBearer(c *ueCtx, apn string, pti uint8, pco *naseps.PCO) (*naseps.ActivateDefaultBearerRequest, error) {
	p := f.pools[apn]
	if p == nil {
		return nil, fmt.Errorf("unknown APN %q", apn)
	}
	ebi := c.freeEBI()
	if ebi == 0 {
		return nil, fmt.Errorf("no EPS bearer identity left")
	}
	a, err := p.get()
	if err != nil {
		return nil, err
	}
	c.bearers[ebi] = &bearer{ebi: ebi, linked: ebi, apn: apn, addr: a}
	return &naseps.ActivateDefaultBearerRequest{ESMHeader: naseps.ESMHeader{EBI: ebi, PTI: pti}, QoS: naseps.EPSQoS{QCI: 9},
		APN: naseps.APN(apn), PDNAddress: naseps.PDNAddress{Type: naseps.PDNTypeIPv4, IPv4: a}, PCO: replyPCO(p.pdn, pco)}, nil
}

// replyPCO answers the containers the UE asked for.
func replyPCO(p PDN, asked *naseps.PCO) *naseps.PCO {
	if asked == nil {
		return nil
	}
	out := &naseps.PCO{}
	for id, addrs := range map[uint16][]netip.Addr{naseps.PCOPCSCFIPv4: p.PCSCF, naseps.PCODNSServerIPv4: p.DNS} {
		if !asked.Has(id) {
			continue
		}
		for _, a := range addrs {
			_ = out.AddIPv4(id, a) // configured IPv4 addresses
		}
	}
	return out
}

func (c *ueCtx) freeEBI() uint8 {
	for ebi := uint8(5); ebi <= 15; ebi++ {
		if c.bearers[ebi] == nil {
			return ebi
		}
	}
	return 0
}

// attachAccept accepts the attach with a new GUTI and the default bearer,
// then (as the eNB does after Initial Context Setup) says it is ready.
func (f *Fake) attachAccept(c *ueCtx) {
	apn := c.apn
	if apn == "" {
		apn = f.cfg.PDNs[0].APN
	}
	act, err := f.defaultBearer(c, apn, c.attachPTI, c.pco)
	if err != nil {
		rej, _ := (&naseps.PDNConnectivityReject{ESMHeader: naseps.ESMHeader{PTI: c.attachPTI}, Cause: naseps.ESMCauseUnknownAPN}).Marshal()
		f.dl(c, &naseps.AttachReject{Cause: naseps.EMMCauseESMFailure, ESMContainer: rej}, naseps.IntegrityProtectedAndCiphered)
		f.drop(c)
		return
	}
	esm, err := act.Marshal()
	if err != nil {
		f.log.Error("ltefake: encode default bearer", "err", err)
		return
	}
	c.guti = naseps.GUTI{PLMN: f.cfg.PLMN, MMEGroupID: MMEGroupID, MMECode: MMECode, MTMSI: f.nextTMSI}
	f.nextTMSI++
	f.gutis[c.guti.MTMSI] = c.imsi
	t3412 := naseps.TimerDeactivated
	if f.cfg.T3412 > 0 {
		if t3412, err = naseps.NewGPRSTimer(f.cfg.T3412); err != nil {
			f.log.Error("ltefake: t3412", "err", err)
		}
	}
	g := c.guti
	f.dl(c, &naseps.AttachAccept{Result: naseps.AttachResultEPSOnly, T3412: t3412,
		TAIList: naseps.TAIList{{PLMN: f.cfg.PLMN, TAC: 1}}, ESMContainer: esm, GUTI: &g}, naseps.IntegrityProtectedAndCiphered)
	f.sendRadio(c.key, radio.SessionReady, act.EBI, nil)
}

func (f *Fake) attachComplete(c *ueCtx, r *naseps.AttachComplete) {
	acc, err := naseps.ParseAs[*naseps.ActivateDefaultBearerAccept](r.ESMContainer)
	if err != nil || c.bearers[acc.EBI] == nil || c.attached {
		return
	}
	c.bearers[acc.EBI].accepted = true
	c.attached = true
	f.stats.Attaches++
}

// pdnConnectivity answers a standalone PDN Connectivity Request: the
// default bearer, or a reject (#27 unknown APN, #55 when connected).
func (f *Fake) pdnConnectivity(c *ueCtx, r *naseps.PDNConnectivityRequest) {
	for _, b := range c.bearers {
		if b.linked == b.ebi && b.apn == string(r.APN) {
			f.dl(c, &naseps.PDNConnectivityReject{ESMHeader: naseps.ESMHeader{PTI: r.PTI}, Cause: 55}, naseps.IntegrityProtectedAndCiphered)
			return
		}
	}
	act, err := f.defaultBearer(c, string(r.APN), r.PTI, r.PCO)
	if err != nil {
		f.dl(c, &naseps.PDNConnectivityReject{ESMHeader: naseps.ESMHeader{PTI: r.PTI}, Cause: naseps.ESMCauseUnknownAPN},
			naseps.IntegrityProtectedAndCiphered)
		return
	}
	f.dl(c, act, naseps.IntegrityProtectedAndCiphered)
	f.sendRadio(c.key, radio.SessionReady, act.EBI, nil)
}

// ActivateDedicated starts a dedicated bearer for the connected UE imsi,
// linked to its default bearer linked, and returns its EBI.
func (f *Fake) ActivateDedicated(imsi string, linked, qci uint8, tft naseps.TFT) (uint8, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byIMSI[imsi]
	if c == nil || !c.connected || c.sec == nil {
		return 0, fmt.Errorf("ltefake: %s is not connected", imsi)
	}
	if b := c.bearers[linked]; b == nil || b.linked != linked {
		return 0, fmt.Errorf("ltefake: %s has no default bearer %d", imsi, linked)
	}
	ebi := c.freeEBI()
	if ebi == 0 {
		return 0, fmt.Errorf("ltefake: %s has no EPS bearer identity left", imsi)
	}
	c.bearers[ebi] = &bearer{ebi: ebi, linked: linked}
	f.dl(c, &naseps.ActivateDedicatedBearerRequest{ESMHeader: naseps.ESMHeader{EBI: ebi}, LinkedEBI: linked,
		QoS: naseps.EPSQoS{QCI: qci}, TFT: tft}, naseps.IntegrityProtectedAndCiphered)
	f.sendRadio(c.key, radio.SessionReady, ebi, nil)
	return ebi, nil
}

// DeactivateBearer asks the connected UE imsi to deactivate bearer ebi.
func (f *Fake) DeactivateBearer(imsi string, ebi uint8) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byIMSI[imsi]
	if c == nil || !c.connected || c.bearers[ebi] == nil {
		return fmt.Errorf("ltefake: %s is not connected or has no bearer %d", imsi, ebi)
	}
	f.dl(c, &naseps.DeactivateBearerRequest{ESMHeader: naseps.ESMHeader{EBI: ebi}, Cause: naseps.ESMCauseRegularDeactivation},
		naseps.IntegrityProtectedAndCiphered)
	return nil
}

// Bearers lists the accepted EBIs of imsi.
func (f *Fake) Bearers(imsi string) []uint8 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint8
	if c := f.byIMSI[imsi]; c != nil {
		for ebi := uint8(5); ebi <= 15; ebi++ {
			if b := c.bearers[ebi]; b != nil && b.accepted {
				out = append(out, ebi)
			}
		}
	}
	return out
}

func (f *Fake) bearerGone(c *ueCtx, ebi uint8) {
	b := c.bearers[ebi]
	if b == nil {
		return
	}
	delete(c.bearers, ebi)
	f.stats.BearersDeactivated++
	if b.linked != ebi {
		return
	}
	f.pools[b.apn].put(b.addr)
	for e, d := range c.bearers {
		if d.linked == ebi {
			delete(c.bearers, e)
		}
	}
}

// drop forgets a UE's registration (its GUTI stays known) and releases it.
func (f *Fake) drop(c *ueCtx) {
	for _, b := range c.bearers {
		if b.linked == b.ebi {
			f.pools[b.apn].put(b.addr)
		}
	}
	c.bearers = map[uint8]*bearer{}
	if f.byIMSI[c.imsi] == c {
		delete(f.byIMSI, c.imsi)
	}
	f.release(c)
}

func (f *Fake) detach(c *ueCtx, r *naseps.DetachRequest) {
	if r.SwitchOff {
		f.stats.SwitchOffs++
	} else {
		f.stats.Detaches++
		f.dl(c, &naseps.DetachAccept{}, naseps.IntegrityProtectedAndCiphered)
	}
	f.drop(c)
}

// tau accepts a tracking area update with the bearers we hold; from idle
// without the active flag the connection is released after.
func (f *Fake) tau(c *ueCtx, r *naseps.TAURequest, fromIdle bool) {
	f.stats.TAUs++
	var status naseps.EPSBearerContextStatus
	for ebi, b := range c.bearers {
		if b.accepted {
			status |= 1 << ebi
		}
	}
	acc := &naseps.TAUAccept{Result: naseps.UpdateResultTA, EPSBearerContextStatus: &status}
	if f.cfg.T3412 > 0 {
		if t, err := naseps.NewGPRSTimer(f.cfg.T3412); err == nil {
			acc.T3412 = &t
		}
	}
	f.dl(c, acc, naseps.IntegrityProtectedAndCiphered)
	if fromIdle && !r.Active {
		f.release(c)
	}
}

// serviceRequest checks the short MAC of a SERVICE REQUEST from the UE
// the S-TMSI names, then sets every bearer up (SessionReady) and delivers
// what waited for it.
func (f *Fake) serviceRequest(key radioKey, mtmsi *uint32, pdu []byte) {
	c := f.byGUTI(mtmsi)
	sr, err := naseps.ParseAs[*naseps.ServiceRequest](pdu)
	if err == nil && c != nil && c.sec != nil {
		if err = c.sec.VerifyServiceRequest(sr); err != nil {
			f.stats.IntegrityFailures++
		}
	}
	if err != nil || c == nil || c.sec == nil {
		rej, _ := (&naseps.ServiceReject{Cause: naseps.EMMCauseUEIdentityCannotBeDerived}).Marshal()
		f.sendRadio(key, radio.DownlinkNAS, 0, rej)
		f.sendRadio(key, radio.Release, 0, nil)
		return
	}
	f.bind(c, key)
	f.stats.ServiceRequests++
	for ebi := uint8(5); ebi <= 15; ebi++ {
		if b := c.bearers[ebi]; b != nil && b.accepted {
			f.sendRadio(key, radio.SessionReady, ebi, nil)
		}
	}
	for _, p := range c.pending {
		f.sendRadio(key, radio.DownlinkData, p.ebi, p.pkt)
	}
	c.pending = nil
}

// uplinkData records a packet and echoes UDP sent to port 7.
func (f *Fake) uplinkData(key radioKey, ebi uint8, pkt []byte) {
	c := f.byKey[key]
	if c == nil || c.bearers[ebi] == nil {
		return
	}
	f.stats.UplinkPackets++
	if len(f.uplinks) == maxUplinks {
		f.uplinks = f.uplinks[1:]
	}
	f.uplinks = append(f.uplinks, Uplink{IMSI: c.imsi, EBI: ebi, Packet: append([]byte(nil), pkt...)})
	u, err := ippkt.ParseUDP4(pkt)
	if err != nil || u.Dst.Port() != 7 {
		return
	}
	reply, err := ippkt.AppendUDP4(nil, u.Dst, u.Src, u.ID, u.Payload)
	if err == nil {
		f.sendRadio(key, radio.DownlinkData, ebi, reply)
	}
}

// Downlink sends a packet to the UE address addr: straight down when the
// UE is connected, else after paging it.
func (f *Fake) Downlink(addr netip.Addr, pkt []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.byIMSI {
		for _, b := range c.bearers {
			if b.linked != b.ebi || b.addr != addr {
				continue
			}
			if c.connected {
				f.sendRadio(c.key, radio.DownlinkData, b.ebi, pkt)
				return nil
			}
			first := len(c.pending) == 0
			c.pending = append(c.pending, heldPacket{ebi: b.ebi, pkt: append([]byte(nil), pkt...)})
			if first {
				f.page(c)
			}
			return nil
		}
	}
	return fmt.Errorf("ltefake: no UE has %s", addr)
}

// page sends a radio Paging with the S-TMSI to every UE simulator seen.
func (f *Fake) page(c *ueCtx) {
	f.stats.Pagings++
	body := make([]byte, 6)
	body[1] = c.guti.MMECode
	binary.BigEndian.PutUint32(body[2:], c.guti.MTMSI)
	for sim := range f.sims {
		f.sendRadio(radioKey{sim: sim}, radio.Paging, 0, body)
	}
}

// heldPacket is a downlink packet waiting for a paged UE.
type heldPacket struct {
	ebi uint8
	pkt []byte
}
