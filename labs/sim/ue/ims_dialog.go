package ue

import (
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/labs/simapi"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// Call roles.
const (
	roleCaller = "caller"
	roleCallee = "callee"
)

// dialog is one INVITE dialog of an agent (RFC 3261 12).
type dialog struct {
	role                string
	callID              string
	localTag, remoteTag string
	localURI, remoteURI sip.Uri
	remoteTarget        sip.Uri
	routes              []sip.Uri

	mu   sync.Mutex
	cseq uint32
	ack  *sip.Request // caller: our ACK, sent again on a retransmitted 2xx

	acked, bye       chan struct{}
	ackOnce, byeOnce sync.Once
}

func newDialog(role, callID string) *dialog {
	return &dialog{role: role, callID: callID, acked: make(chan struct{}), bye: make(chan struct{})}
}

func (d *dialog) gotACK() { d.ackOnce.Do(func() { close(d.acked) }) }
func (d *dialog) gotBYE() { d.byeOnce.Do(func() { close(d.bye) }) }

func (d *dialog) nextCSeq() uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cseq++
	return d.cseq
}

// request builds an in-dialog request (RFC 3261 12.2.1.1).
func (d *dialog) request(a *imsAgent, method sip.RequestMethod, cseq uint32) *sip.Request {
	req := sip.NewRequest(method, *d.remoteTarget.Clone())
	a.addVia(req)
	for _, r := range d.routes {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.FromHeader{Address: *d.localURI.Clone(), Params: sip.HeaderParams{{K: "tag", V: d.localTag}}})
	req.AppendHeader(&sip.ToHeader{Address: *d.remoteURI.Clone(), Params: sip.HeaderParams{{K: "tag", V: d.remoteTag}}})
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: method})
	req.SetBody(nil)
	return req
}

// recordRoutes reads the Record-Route URIs of m in header order.
func recordRoutes(m interface{ GetHeaders(string) []sip.Header }) []sip.Uri {
	var out []sip.Uri
	for _, h := range m.GetHeaders("Record-Route") {
		l, err := ims.ParseNameAddrList(h.Value())
		if err != nil {
			continue
		}
		for _, s := range l.URIs() {
			var u sip.Uri
			if sip.ParseUri(s, &u) == nil {
				out = append(out, u)
			}
		}
	}
	return out
}

// parseURIs parses route URIs, skipping what does not parse.
func parseURIs(ss []string) []sip.Uri {
	out := make([]sip.Uri, 0, len(ss))
	for _, s := range ss {
		var u sip.Uri
		if sip.ParseUri(s, &u) == nil {
			out = append(out, u)
		}
	}
	return out
}

func reversed(us []sip.Uri) []sip.Uri {
	out := slices.Clone(us)
	slices.Reverse(out)
	return out
}

// sdpPeer is where the first audio stream of an SDP body sends media.
func sdpPeer(body []byte) (netip.AddrPort, error) {
	s, err := ims.ParseSDP(body)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(s.Media) == 0 || s.Media[0].Type != "audio" {
		return netip.AddrPort{}, errNoAudio
	}
	host, err := s.Address(s.Media[0])
	if err != nil {
		return netip.AddrPort{}, err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || s.Media[0].Port <= 0 || s.Media[0].Port > 65535 {
		return netip.AddrPort{}, errNoAudio
	}
	return netip.AddrPortFrom(addr, uint16(s.Media[0].Port)), nil
}

type sdpError string

func (e sdpError) Error() string { return string(e) }

const errNoAudio = sdpError("sdp: no usable audio stream")

// udpPort is the port of a bound UDP socket; 0 (which the SDP builders
// refuse) when the socket has no UDP address.
func udpPort(pc net.PacketConn) int {
	ap, err := netip.ParseAddrPort(pc.LocalAddr().String())
	if err != nil {
		return 0
	}
	return int(ap.Port())
}

// callBook keeps a UE's call records, both roles, the newest
// maxCallRecords.
type callBook struct {
	supi string
	mu   sync.Mutex
	recs []simapi.CallRecord
}

const maxCallRecords = 1000

func (b *callBook) add(impu string, o simapi.CallOutcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.recs) >= maxCallRecords {
		b.recs = slices.Delete(b.recs, 0, 1)
	}
	b.recs = append(b.recs, simapi.CallRecord{SUPI: b.supi, IMPU: impu, CallOutcome: o})
}

func (b *callBook) list() []simapi.CallRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.recs)
}
