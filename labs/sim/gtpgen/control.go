package gtpgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/corebox/corebox/nf/proto/pfcp"
)

// Rule IDs of every session, as an SMF would install them.
const (
	pdrUL, pdrDL = 1, 2
	farUL, farDL = 1, 2
	qerID        = 1
	urrID        = 1
)

// session is one UE's tunnel pair on the UPF.
type session struct {
	ue     netip.Addr
	dlTEID uint32 // ours: the UPF encapsulates downlink toward it
	ulTEID uint32 // the UPF's, from its Created PDR
	upfN3  *net.UDPAddr
	cpSEID uint64
	ulHdr  [gtpHeaderLen]byte // the G-PDU header of this run's packet size
}

// ueAddr is session i's UE address: the pool's (i+1)th.
func ueAddr(pool netip.Prefix, i int) netip.Addr {
	a := pool.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(i) + 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// dlTEID is session i's downlink TEID (never 0).
func dlTEID(i int) uint32 { return uint32(i) + 1 }

// sessionRules are a PDU session's rules: uplink G-PDUs on a TEID the UPF
// chooses, with our QFI, lose their outer header and go to the core;
// downlink packets to the UE go to our N3 in a G-PDU on the session's TEID.
// One QER (gates open, no MBR) sets the QFI, one URR counts the volume.
func sessionRules(ue netip.Addr, teid uint32, n3 netip.Addr, dnn string, qfi uint8) *pfcp.Session {
	removal := pfcp.RemoveGTPUUDPIPv4
	return &pfcp.Session{
		PDRs: []pfcp.PDR{
			{ID: pdrUL, Precedence: 255, PDI: pfcp.PDI{SourceInterface: pfcp.InterfaceAccess,
				LocalFTEID: &pfcp.FTEID{Choose: true}, UEIPAddress: &pfcp.UEIPAddress{IPv4: ue},
				NetworkInstance: dnn, QFI: qfi},
				OuterHeaderRemoval: &removal, FARID: farUL, QERIDs: []uint32{qerID}, URRIDs: []uint32{urrID}},
			{ID: pdrDL, Precedence: 255, PDI: pfcp.PDI{SourceInterface: pfcp.InterfaceCore,
				UEIPAddress: &pfcp.UEIPAddress{IPv4: ue, Destination: true}, NetworkInstance: dnn},
				FARID: farDL, QERIDs: []uint32{qerID}, URRIDs: []uint32{urrID}},
		},
		FARs: []pfcp.FAR{
			{ID: farUL, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
				DestinationInterface: pfcp.InterfaceCore, NetworkInstance: dnn}},
			{ID: farDL, ApplyAction: pfcp.ActionForward, Forwarding: &pfcp.ForwardingParameters{
				DestinationInterface: pfcp.InterfaceAccess,
				OuterHeaderCreation:  &pfcp.OuterHeaderCreation{TEID: teid, IPv4: n3}}},
		},
		QERs: []pfcp.QER{{ID: qerID, QFI: qfi}},
		URRs: []pfcp.URR{{ID: urrID, MeasurementMethod: pfcp.MeasureVolume}},
	}
}

// establish installs n sessions on the UPF, a bounded number at a time.
// On failure it returns the error with the sessions it did install (the
// others are zero), which the caller must release.
func (g *Generator) establish(ctx context.Context, node *pfcp.Node, n int) ([]session, error) {
	sessions := make([]session, n)
	addrs := map[netip.AddrPort]*net.UDPAddr{} // the UPF's N3 addresses, shared
	var mu sync.Mutex
	err := g.forEach(ctx, n, func(ctx context.Context, i int) error {
		ue := ueAddr(g.pool, i)
		rules := sessionRules(ue, dlTEID(i), g.n3Addr.Addr(), g.cfg.DNN, uint8(g.cfg.QFI))
		if g.editRules != nil {
			g.editRules(i, rules)
		}
		res, err := node.EstablishSession(ctx, g.upf, rules)
		if err != nil {
			return fmt.Errorf("session %d (UE %s): %w", i, ue, err)
		}
		s := &sessions[i]
		s.ue, s.dlTEID, s.cpSEID = ue, dlTEID(i), res.CPSEID
		g.installed.Add(1)
		f, err := uplinkFTEID(res.CreatedPDRs)
		if err != nil {
			return fmt.Errorf("session %d (UE %s): %w", i, ue, err)
		}
		to := netip.AddrPortFrom(f.IPv4, uint16(g.cfg.UPF.GTPUPort))
		mu.Lock()
		if addrs[to] == nil {
			addrs[to] = net.UDPAddrFromAddrPort(to)
		}
		s.ulTEID, s.upfN3 = f.TEID, addrs[to]
		mu.Unlock()
		return nil
	})
	return sessions, err
}

func uplinkFTEID(created []pfcp.CreatedPDR) (*pfcp.FTEID, error) {
	for _, c := range created {
		if c.ID == pdrUL && c.LocalFTEID != nil && c.LocalFTEID.IPv4.Is4() {
			return c.LocalFTEID, nil
		}
	}
	return nil, fmt.Errorf("the UPF reported no IPv4 F-TEID for uplink PDR %d", pdrUL)
}

// release deletes every installed session (cpSEID set) and sums the
// final usage reports. It goes on past failures and returns them all.
func (g *Generator) release(ctx context.Context, node *pfcp.Node, sessions []session) (Usage, error) {
	var mu sync.Mutex
	var u Usage
	var errs []error
	_ = g.forEach(ctx, len(sessions), func(ctx context.Context, i int) error {
		s := &sessions[i]
		if s.cpSEID == 0 {
			return nil
		}
		reports, err := node.DeleteSession(ctx, s.cpSEID)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && !errors.Is(err, pfcp.ErrUnknownSession) {
			errs = append(errs, fmt.Errorf("delete session %d (UE %s): %w", i, s.ue, err))
			return nil
		}
		g.installed.Add(-1)
		s.cpSEID = 0
		for _, r := range reports {
			if v := r.Volume; v != nil {
				u.UplinkPackets += v.UplinkPackets
				u.UplinkBytes += v.Uplink
				u.DownlinkPackets += v.DownlinkPackets
				u.DownlinkBytes += v.Downlink
			}
		}
		return nil
	})
	return u, errors.Join(errs...)
}

// forEach runs fn for 0..n-1 with at most pfcp.concurrency at once; the
// first error cancels the rest and is returned.
func (g *Generator) forEach(ctx context.Context, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, g.cfg.PFCP.Concurrency) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
