package ue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// Defaults of the IMS steps.
const (
	defaultIMSAPN     = "ims"
	defaultTalk       = 10 * time.Second
	defaultBearerWait = 5 * time.Second
	// imsExpires is the registration lifetime a VoLTE UE asks for (TS
	// 24.229 5.1.1.2.1: 600000 s); the S-CSCF may grant less.
	imsExpires = 600000
)

// imsNF is what the IMS user agents share in lte mode.
type imsNF struct {
	m      *imsMetrics
	listen listenFunc
	media  mediaFunc
}

// imsUE is one UE's IMS side: its bearer events, its call records and
// its user agent while registered.
type imsUE struct {
	bearers *bearerHub
	book    *callBook

	opMu  sync.Mutex // one register/deregister at a time
	mu    sync.Mutex
	agent *imsAgent
}

func newIMSUE(supi string) *imsUE {
	return &imsUE{bearers: newBearerHub(), book: &callBook{supi: supi}}
}

func (s *imsUE) current() *imsAgent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.agent
}

func (s *imsUE) set(a *imsAgent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agent = a
}

var errIMSNeedsTUN = errors.New("IMS needs data_plane.mode tun (the memory data plane has no sockets on UE addresses)")

func newIMSNF(n *NF) (*imsNF, error) {
	m, err := newIMSMetrics(n.ops.Registry())
	if err != nil {
		return nil, err
	}
	s := &imsNF{m: m, media: rtpStream, listen: listenUDP}
	if n.cfg.DataPlane.Mode == ModeMemory {
		s.listen = func(context.Context, netip.AddrPort) (net.PacketConn, error) { return nil, errIMSNeedsTUN }
	}
	return s, nil
}

// listenUDP binds a kernel UDP socket on a UE address: in tun mode its
// packets go up that UE's bearer (the source rule of the data plane).
func listenUDP(ctx context.Context, addr netip.AddrPort) (net.PacketConn, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp4", addr.String())
	if err != nil {
		return nil, fmt.Errorf("listen udp %s: %w", addr, err)
	}
	return pc, nil
}

func (n *NF) imsRoutes() {
	n.ops.Handle("POST "+simapi.PathIMSRegister, handle(n, "ims_register", n.planIMSRegister))
	n.ops.Handle("POST "+simapi.PathIMSDeregister, handle(n, "ims_deregister", n.planIMSDeregister))
	n.ops.Handle("POST "+simapi.PathCalls, handle(n, "calls", n.planCalls))
	n.ops.Handle("GET "+simapi.PathCalls, http.HandlerFunc(n.listCalls))
}

func (n *NF) listCalls(w http.ResponseWriter, _ *http.Request) {
	out := []simapi.CallRecord{}
	for _, u := range n.ues {
		out = append(out, u.ims.book.list()...)
	}
	nfkit.WriteJSON(w, http.StatusOK, out)
}

func imsAPN(r *simapi.IMSRegisterRequest) (string, error) {
	if r.TCP {
		return "", errors.New("tcp: SIP over TCP is not simulated; leave tcp out (UDP)")
	}
	apn := r.APN
	if apn == "" {
		apn = defaultIMSAPN
	}
	if err := checkAPN(apn); err != nil {
		return "", fmt.Errorf("apn: %w", err)
	}
	return apn, nil
}

func (n *NF) planIMSRegister(r *simapi.IMSRegisterRequest) (plan, error) {
	apn, err := imsAPN(r)
	if err != nil {
		return plan{}, err
	}
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		d, err := n.imsRegister(ctx, u, apn)
		return d, nil, err
	}}, nil
}

func (n *NF) planIMSDeregister(r *simapi.IMSRegisterRequest) (plan, error) {
	if _, err := imsAPN(r); err != nil {
		return plan{}, err
	}
	return plan{sel: r.Selector, timeout: r.Timeout.Or(defaultTimeout), fn: func(ctx context.Context, u *UE) (string, *simapi.TrafficOutcome, error) {
		return "", nil, n.imsDeregister(ctx, u)
	}}, nil
}

// imsRegister registers u over its PDN connection to apn, through the
// first P-CSCF of that connection's PCO. The detail is the IMPU.
func (n *NF) imsRegister(ctx context.Context, u *UE, apn string) (string, error) {
	u.ims.opMu.Lock()
	defer u.ims.opMu.Unlock()
	a, err := n.imsAgentFor(ctx, u, apn)
	if err != nil {
		n.ims.m.registration("register", err)
	} else {
		err = a.register(ctx, imsExpires)
		if err != nil {
			u.ims.set(nil)
			if cerr := a.close(); cerr != nil {
				n.log.Debug("ims agent close", "supi", u.supi, "err", cerr)
			}
		}
	}
	if err != nil {
		n.log.Info("ims registration failed", "supi", u.supi, "apn", apn, "err", err)
		return "", err
	}
	n.log.Debug("ims registered", "supi", u.supi, "impu", a.impu, "sip", a.local.String())
	return a.impu, nil
}

// imsAgentFor is u's agent on its apn address, made (or remade when the
// address changed) as needed.
func (n *NF) imsAgentFor(ctx context.Context, u *UE, apn string) (*imsAgent, error) {
	var pdn *PDNState
	for _, p := range u.snapshot().pdns {
		if strings.EqualFold(p.APN, apn) {
			pdn = &p
			break
		}
	}
	if pdn == nil {
		return nil, fmt.Errorf("%w to APN %s", errNoPDN, apn)
	}
	if len(pdn.PCSCF) == 0 {
		return nil, fmt.Errorf("no P-CSCF address in the PCO of the %s PDN connection", apn)
	}
	addr, err := netip.ParseAddr(pdn.Address)
	if err != nil {
		return nil, fmt.Errorf("%s PDN address %q: %w", apn, pdn.Address, err)
	}
	pcscf, err := netip.ParseAddr(pdn.PCSCF[0])
	if err != nil {
		return nil, fmt.Errorf("P-CSCF address %q: %w", pdn.PCSCF[0], err)
	}
	if a := u.ims.current(); a != nil {
		if a.local.Addr() == addr && a.cfg.pcscf.Addr() == pcscf {
			return a, nil
		}
		u.ims.set(nil)
		if err := a.close(); err != nil {
			n.log.Debug("ims agent close", "supi", u.supi, "err", err)
		}
	}
	imsi, _ := strings.CutPrefix(u.supi, "imsi-")
	a, err := newIMSAgent(ctx, imsAgentConfig{supi: u.supi, imsi: imsi, mcc: n.res.plmn.MCC, mnc: n.res.plmn.MNC,
		imeisv: u.imeisv, local: netip.AddrPortFrom(addr, sipPort), pcscf: netip.AddrPortFrom(pcscf, sipPort),
		card: ims.USIMCard{USIM: u.usim}, listen: n.ims.listen, media: n.ims.media, bearers: u.ims.bearers,
		book: u.ims.book, metrics: n.ims.m, log: n.log, calleeBearer: defaultBearerWait})
	if err != nil {
		return nil, err
	}
	u.ims.set(a)
	return a, nil
}

// imsDeregister sends REGISTER with Expires 0 and drops the agent.
func (n *NF) imsDeregister(ctx context.Context, u *UE) error {
	u.ims.opMu.Lock()
	defer u.ims.opMu.Unlock()
	a := u.ims.current()
	if a == nil {
		return errNotIMSRegistered
	}
	err := a.register(ctx, 0)
	u.ims.set(nil)
	if cerr := a.close(); cerr != nil {
		n.log.Debug("ims agent close", "supi", u.supi, "err", cerr)
	}
	return err
}

func (n *NF) planCalls(r *simapi.CallRequest) (plan, error) {
	p := callParams{talk: r.Talk.Or(defaultTalk), bearerWait: r.BearerWait.Or(defaultBearerWait)}
	switch {
	case r.Talk < 0 || r.BearerWait < 0:
		return plan{}, errors.New("talk and bearer_wait must not be negative")
	case time.Duration(r.Talk) > maxTalk:
		return plan{}, fmt.Errorf("talk %v: at most %v", time.Duration(r.Talk), maxTalk)
	case len(r.Targets) == 0:
		return plan{}, errors.New("targets: name at least one caller and its callee's IMPU")
	}
	switch r.HangUp {
	case "", roleCaller:
	case roleCallee:
		p.calleeBye = true
	default:
		return plan{}, fmt.Errorf("hang_up %q: want caller or callee", r.HangUp)
	}
	for supi, impu := range r.Targets {
		var u sip.Uri
		if err := sip.ParseUri(impu, &u); err != nil || (u.Scheme != "sip" && u.Scheme != "tel") {
			return plan{}, fmt.Errorf("targets[%s] %q: want a sip: or tel: URI", supi, impu)
		}
	}
	sel := r.Selector
	sel.UEs = callers(r)
	if len(sel.UEs) == 0 {
		return plan{}, errors.New("no selected UE has a target")
	}
	busy := p.talk + 2*p.bearerWait
	if p.calleeBye {
		busy += sipTimeout
	}
	return plan{sel: sel, timeout: r.Timeout.Or(defaultTimeout + busy), call: func(ctx context.Context, u *UE) (string, *simapi.CallOutcome, error) {
		a := u.ims.current()
		if a == nil {
			return "", nil, errNotIMSRegistered
		}
		out, err := a.call(ctx, r.Targets[u.supi], p)
		return out.CallID, &out, err
	}}, nil
}

// callers are the selected UEs with a target (all with one when none are
// selected), in a stable order.
func callers(r *simapi.CallRequest) []string {
	var out []string
	if len(r.UEs) == 0 {
		for supi := range r.Targets {
			out = append(out, supi)
		}
		slices.Sort(out)
		return out
	}
	for _, supi := range r.UEs {
		if _, ok := r.Targets[supi]; ok {
			out = append(out, supi)
		}
	}
	return out
}

// closeIMS ends every agent (the simulator stops).
func (n *NF) closeIMS() {
	for _, u := range n.ues {
		if u.ims == nil {
			continue
		}
		if a := u.ims.current(); a != nil {
			u.ims.set(nil)
			if err := a.close(); err != nil {
				n.log.Debug("ims agent close", "supi", u.supi, "err", err)
			}
		}
	}
}

// registeredIMPU is the UE's IMPU while it is registered to the IMS ("").
func (s *imsUE) registeredIMPU() string {
	if s == nil {
		return ""
	}
	if a := s.current(); a != nil && a.isRegistered() {
		return a.impu
	}
	return ""
}
