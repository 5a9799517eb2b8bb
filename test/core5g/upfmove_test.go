package core5g

import (
	"net/netip"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/upf"
)

// addUPF starts another UPF owning pool of the internet DNN, with its own
// echo DN, and waits until the SMF has associated with it.
func (c *core) addUPF(name, pool string) (*upf.NF, *echoDN) {
	c.t.Helper()
	cfg := upfConfig(freeLoopback(c.t, 8805, 2152), c.nrf.SBI().URL())
	cfg.UEPools = []upf.UEPool{{CIDR: pool, DNN: "internet"}}
	cfg.NRF.InstanceID = instanceID(name)
	u, err := upf.New(cfg, quiet())
	c.start(name, u, err)
	dn := newEchoDN(u.MemoryN6())
	c.start(name+"-dn", dn, nil)
	c.waitGauge(c.smf.Ops(), 2, "corebox_smf_pfcp_associations")
	return u, dn
}

// TestUPFScaleOutAndDrain: sessions open on one UPF; a second UPF joins
// (through the NRF) and takes the new sessions; the first drains
// (SUSPENDED in the NRF) and the SMF moves its sessions to the second
// (PFCP there, PDU Session Resource Modify through the AMF to the gNB).
// Every UE keeps its address and its echoes keep coming back, through the
// second UPF; the first ends with nothing.
func TestUPFScaleOutAndDrain(t *testing.T) {
	const n, count = 4, 5
	c := startCore(t, coreOptions{internetPool: "10.45.0.0/17", moveAfter: 300 * time.Millisecond})
	c.provision(1, 2*n, false, nil)
	first := c.addUEs(ueSpec{imsi: imsi(1), count: n})
	c.stepOK(first, simapi.PathRegister, simapi.RegisterRequest{}, n)
	before := sessionAddrs(c, c.stepOK(first, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, n))
	c.expect(c.upf.Ops(), n, "corebox_upf_sessions")

	second, dn2 := c.addUPF("upf2", "10.45.128.0/17")
	later := c.addUEs(ueSpec{imsi: imsi(n + 1), count: n})
	c.stepOK(later, simapi.PathRegister, simapi.RegisterRequest{}, n)
	for _, a := range sessionAddrs(c, c.stepOK(later, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, n)) {
		if !netip.MustParsePrefix("10.45.128.0/17").Contains(a) {
			t.Errorf("a new session got %v, not an address of the new, least loaded UPF", a)
		}
	}
	c.expect(second.Ops(), n, "corebox_upf_sessions")
	echo := simapi.TrafficRequest{Target: echoTarget, Count: count, Interval: simapi.Duration(10 * time.Millisecond), Size: 100}
	c.stepOK(first, simapi.PathTraffic, echo, n)

	c.upf.Ops().StartDrain()
	c.waitGauge(second.Ops(), 2*n, "corebox_upf_sessions")
	c.waitGauge(c.upf.Ops(), 0, "corebox_upf_sessions")
	c.expect(c.smf.Ops(), n, "corebox_smf_session_moves_total", "result", "moved")
	c.expect(c.gnb.Ops(), n, "corebox_gnb_pdu_session_modifications_total", "result", "modified")
	if !c.upf.Ops().DrainStatus().Drained() {
		t.Errorf("first UPF not drained: %+v", c.upf.Ops().DrainStatus())
	}

	// Same addresses; the echoes now go through the second UPF.
	res := c.stepOK(first, simapi.PathTraffic, echo, n)
	for _, r := range res.UEs {
		if r.Traffic == nil || r.Traffic.Received != count {
			t.Errorf("%s after the move: %+v, want %d echoes back", r.SUPI, r.Traffic, count)
		}
	}
	for _, a := range before {
		if got := dn2.from(a); got != count {
			t.Errorf("the second UPF's DN got %d datagrams from %v, want %d", got, a, count)
		}
	}
	if st := c.states(first); len(st) != n || st[0].Addresses[0] != before[0].String() {
		t.Errorf("UE state after the move %+v, want the address %v kept", st, before[0])
	}
}

func sessionAddrs(c *core, res simapi.Results) []netip.Addr {
	c.t.Helper()
	var out []netip.Addr
	for _, r := range res.UEs {
		a, err := netip.ParseAddr(r.Detail)
		if err != nil {
			c.t.Fatalf("%s: session address %q: %v", r.SUPI, r.Detail, err)
		}
		out = append(out, a)
	}
	return out
}
