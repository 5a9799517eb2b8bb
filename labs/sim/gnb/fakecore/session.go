package fakecore

import (
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/nf/proto/gtpu"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/nas5g"
)

// qfi is the one QoS flow of every session.
const qfi = 1

// maxBuffered bounds downlink packets held for an idle UE.
const maxBuffered = 16

// smSession is a PDU session: SMF and UPF state together.
type smSession struct {
	id       uint8
	snssai   nas5g.SNSSAI
	addr     netip.Addr
	ulTEID   uint32
	dl       n2.GTPTunnel
	active   bool
	buffered [][]byte
}

func (c *Core) session(u *ueCtx, ul *nas5g.ULNASTransport) {
	if ul.PayloadType != nas5g.PayloadN1SM {
		return
	}
	req, err := nas5g.ParsePDUSessionEstablishmentRequest(ul.Payload)
	if err != nil {
		return
	}
	hdr := nas5g.SessionHeader{PDUSessionID: ul.PDUSessionID, PTI: req.PTI}
	if ul.DNN != "" && ul.DNN != c.cfg.DNN {
		c.smReply(u, ul.PDUSessionID, &nas5g.PDUSessionEstablishmentReject{SessionHeader: hdr, Cause: nas5g.SMCauseMissingOrUnknownDNN})
		return
	}
	addr, err := c.nextAddr()
	if err != nil {
		c.smReply(u, ul.PDUSessionID, &nas5g.PDUSessionEstablishmentReject{SessionHeader: hdr, Cause: nas5g.SMCauseInsufficientResources})
		return
	}
	if old := u.sessions[ul.PDUSessionID]; old != nil {
		c.up.RemoveTunnel(old.ulTEID)
	}
	s := &smSession{id: ul.PDUSessionID, snssai: nas5g.SNSSAI{SST: 1}, addr: addr, ulTEID: c.nextTEID}
	if ul.SNSSAI != nil {
		s.snssai = *ul.SNSSAI
	}
	c.nextTEID++
	if err := c.up.AddTunnel(s.ulTEID, c.echo(u, s)); err != nil {
		c.log.Error("fakecore: add tunnel", "err", err)
		return
	}
	u.sessions[s.id] = s
	accept := &nas5g.PDUSessionEstablishmentAccept{SessionHeader: hdr, PDUSessionType: nas5g.SessionIPv4,
		SSCMode: nas5g.SSCMode1, QoSRules: []nas5g.QoSRule{{ID: 1, Precedence: 255, QFI: qfi, Default: true}},
		SessionAMBR: nas5g.AMBR{Uplink: 1e9, Downlink: 1e9}, Address: addr, SNSSAI: &s.snssai, DNN: c.cfg.DNN}
	inner, err := accept.Encode()
	if err != nil {
		c.log.Error("fakecore: encode accept", "err", err)
		return
	}
	nas, err := c.protect(u, &nas5g.DLNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: inner, PDUSessionID: s.id})
	if err != nil {
		return
	}
	item, err := c.setupItem(s, nas)
	if err != nil {
		return
	}
	c.stats.Sessions++
	c.send(u.conn, &n2.PDUSessionResourceSetupRequest{UEIDs: u.ids(), Sessions: []n2.SessionSetupItem{item}})
}

// smReply sends a 5GSM message in a DL NAS Transport.
func (c *Core) smReply(u *ueCtx, id uint8, m nas5g.Message) {
	inner, err := m.Encode()
	if err != nil {
		c.log.Error("fakecore: encode 5gsm", "err", err)
		return
	}
	c.dlProtectedNAS(u, &nas5g.DLNASTransport{PayloadType: nas5g.PayloadN1SM, Payload: inner, PDUSessionID: id})
}

func (c *Core) setupItem(s *smSession, nas []byte) (n2.SessionSetupItem, error) {
	tr, err := (&n2.SetupRequestTransfer{SessionAMBR: nas5g.AMBR{Uplink: 1e9, Downlink: 1e9},
		ULTunnel: n2.GTPTunnel{Addr: c.up.LocalAddr().Addr(), TEID: s.ulTEID}, PDUSessionType: n2.SessionTypeIPv4,
		QoSFlows: []n2.QoSFlowRequest{{QFI: qfi, FiveQI: 9, ARP: n2.ARP{Level: 8}}}}).Encode()
	if err != nil {
		return n2.SessionSetupItem{}, fmt.Errorf("fakecore: encode transfer: %w", err)
	}
	return n2.SessionSetupItem{PDUSessionID: s.id, NASPDU: nas, SNSSAI: s.snssai, Transfer: tr}, nil
}

// sessionsUp records the gNB's downlink tunnels and flushes what waited.
func (c *Core) sessionsUp(amfID uint64, transfers []n2.SessionTransfer) {
	u := c.byAMFID[amfID]
	if u == nil {
		return
	}
	for _, t := range transfers {
		s := u.sessions[t.PDUSessionID]
		tr, err := n2.DecodeSetupResponseTransfer(t.Transfer)
		if s == nil || err != nil {
			continue
		}
		s.dl, s.active = tr.DLTunnel, true
		for _, p := range s.buffered {
			c.sendDown(s, p)
		}
		s.buffered = nil
	}
}

// echo answers each uplink UDP packet of a session as a DN echo server
// would: addresses and ports swapped, payload unchanged.
func (c *Core) echo(u *ueCtx, s *smSession) gtpu.Handler {
	return gtpu.HandlerFunc(func(_ netip.AddrPort, _ *gtpu.Header, payload []byte) {
		p, err := ippkt.ParseUDP4(payload)
		if err != nil {
			return
		}
		reply, err := ippkt.AppendUDP4(nil, p.Dst, p.Src, p.ID, p.Payload)
		if err != nil {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.stats.UplinkPackets++
		c.deliver(u, s, reply)
	})
}

// Downlink sends an IP packet to the UE holding addr, paging it when idle.
func (c *Core) Downlink(addr netip.Addr, pkt []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range c.bySUPI {
		for _, s := range u.sessions {
			if s.addr == addr {
				c.deliver(u, s, append([]byte(nil), pkt...))
				return nil
			}
		}
	}
	return fmt.Errorf("fakecore: no session holds %s", addr)
}

// deliver sends or buffers a downlink packet; called with c.mu held.
func (c *Core) deliver(u *ueCtx, s *smSession, pkt []byte) {
	if u.connected && s.active {
		c.sendDown(s, pkt)
		return
	}
	if len(s.buffered) < maxBuffered {
		s.buffered = append(s.buffered, pkt)
	}
	if !u.connected && len(s.buffered) == 1 {
		c.page(u)
	}
}

func (c *Core) sendDown(s *smSession, pkt []byte) {
	dst := netip.AddrPortFrom(s.dl.Addr, c.gnbN3Port)
	if err := c.up.Send(dst, s.dl.TEID, qfi, pkt); err != nil {
		c.log.Warn("fakecore: downlink", "err", err)
	}
}

// page asks every gNB to page the UE.
func (c *Core) page(u *ueCtx) {
	c.stats.Pagings++
	for conn := range c.conns {
		c.send(conn, &n2.Paging{STMSI: u.guti.STMSI(), TAIs: []n2.TAI{{PLMN: c.cfg.PLMN, TAC: 1}}})
	}
}
