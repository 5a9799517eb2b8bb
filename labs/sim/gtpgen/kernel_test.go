package gtpgen

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// TestKernelModeNeedsUDPN6: with the UPF's memory N6 there is no kernel
// path; the run is refused (412 over HTTP), and the UPF sees nothing.
func TestKernelModeNeedsUDPN6(t *testing.T) {
	l := startLab(t, nil, nil)
	_, err := l.gen.Generator().Run(ctxT(t), Params{Sessions: 2, Duration: 100 * time.Millisecond, Size: 64, Mode: ModeKernel})
	if !errors.Is(err, ErrKernelPath) || !strings.Contains(err.Error(), "n6 is not a UDP socket") {
		t.Fatalf("kernel run over memory N6: %v", err)
	}
	base := "http://" + l.gen.Ops().Addr().String()
	code, out := nfkittest.Do(t, "POST", base+PathRun, `{"sessions": 1, "duration": "100ms", "size": 64, "mode": "kernel"}`)
	if code != http.StatusPreconditionFailed || !strings.Contains(out, "kernel mode cannot run here") {
		t.Errorf("POST kernel run = %d %s, want 412", code, out)
	}
	if got := metric(t, l.upf.Ops(), "corebox_upf_pfcp_sessions_established_total"); got != 0 {
		t.Errorf("a kernel run established %v sessions on the UPF", got)
	}
}

// TestKernelLegs: each direction needs its gateway, and both ends on
// interfaces that are not loopback.
func TestKernelLegs(t *testing.T) {
	cfg := validConfig()
	g := newGenerator(cfg, &udpN6{local: netip.MustParseAddrPort("127.0.0.1:9000")}, nfkittest.Quiet(), func(string, string) {})
	g.n3Addr = netip.MustParseAddrPort("127.0.0.1:2152")
	for _, tc := range []struct {
		d    Direction
		want string
	}{
		{Uplink, "upf.n3 is empty"},
		{Downlink, "upf.n6 is empty"},
		{Both, "upf.n3 is empty"},
	} {
		if _, err := g.kernelLegs(tc.d); !errors.Is(err, ErrKernelPath) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s without gateways: %v, want %q", tc.d, err, tc.want)
		}
	}
	g.upfN3, g.upfN6 = netip.MustParseAddr("10.0.3.2"), netip.MustParseAddr("10.0.6.2")
	if _, err := g.kernelLegs(Both); !errors.Is(err, ErrKernelPath) || !strings.Contains(err.Error(), "interfaces toward the UPF") {
		t.Errorf("legs on loopback: %v", err)
	}
	g.n6 = nil
	if _, err := g.kernelLegs(Uplink); !errors.Is(err, ErrKernelPath) {
		t.Errorf("no UDP N6: %v", err)
	}
}

// TestCheckAcceptLocal reads the sysctls of the interface packets come
// back in on: accept_local on it or on all, rp_filter 0 on both.
func TestCheckAcceptLocal(t *testing.T) {
	leg := kernelLeg{name: "uplink", from: netip.MustParseAddrPort("10.0.3.9:2152"),
		in: &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "n6"}}}
	for name, tc := range map[string]struct {
		vals map[string]string // path under conf/ -> value
		want string            // "" for no error
	}{
		"all set":              {map[string]string{"all/accept_local": "1", "n6/accept_local": "0", "all/rp_filter": "0", "n6/rp_filter": "0"}, ""},
		"on the interface":     {map[string]string{"all/accept_local": "0", "n6/accept_local": "1", "all/rp_filter": "0", "n6/rp_filter": "0"}, ""},
		"no accept_local":      {map[string]string{"all/accept_local": "0", "n6/accept_local": "0", "all/rp_filter": "0", "n6/rp_filter": "0"}, "net.ipv4.conf.n6.accept_local is 0"},
		"loose rp_filter, all": {map[string]string{"all/accept_local": "1", "n6/accept_local": "1", "all/rp_filter": "2", "n6/rp_filter": "0"}, "rp_filter on n6 is 2"},
		"strict on interface":  {map[string]string{"all/accept_local": "1", "n6/accept_local": "1", "all/rp_filter": "0", "n6/rp_filter": "1"}, "rp_filter on n6 is 1"},
		"no such interface":    {map[string]string{"all/accept_local": "1", "all/rp_filter": "0"}, "read sysctl"},
		"garbage":              {map[string]string{"all/accept_local": "yes", "n6/accept_local": "1", "all/rp_filter": "0", "n6/rp_filter": "0"}, "invalid syntax"},
	} {
		dir := t.TempDir()
		for k, v := range tc.vals {
			p := filepath.Join(dir, k)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, []byte(v+"\n"), 0o644))
		}
		g := &Generator{sysctlDir: dir}
		err := g.checkAcceptLocal([]kernelLeg{leg})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (!errors.Is(err, ErrKernelPath) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// TestMatchKernelDownlink: in a kernel run a probe from our N6 socket is
// counted once; one from elsewhere is left to the G-PDU checks, one of
// another run is dropped with its reason.
func TestMatchKernelDownlink(t *testing.T) {
	st := fuzzKernelRun()
	g := &Generator{}
	from := net.UDPAddrFromAddrPort(testN6)
	good := probeBytes(probe{dir: probeDL, run: 1, session: 1, seq: 4, sentNS: 1}, 40)
	var c batchCount
	if taken, err := g.matchKernelDownlink(st, good, from, 10, &c); !taken || err != nil || c.packets != 1 || c.bytes != 40+ipUDPLen {
		t.Fatalf("good probe: taken %v, %v, %+v", taken, err, c)
	}
	if taken, err := g.matchKernelDownlink(st, good, from, 10, &c); !taken || err != nil || c.packets != 1 ||
		st.flows[flowDL].duplicates != 1 {
		t.Errorf("duplicate: taken %v, %v, %+v", taken, err, c)
	}
	other := probeBytes(probe{dir: probeDL, run: 2, session: 0}, 40)
	if taken, err := g.matchKernelDownlink(st, other, from, 10, &c); !taken || !errors.Is(err, errOtherRun) {
		t.Errorf("other run: taken %v, %v", taken, err)
	}
	elsewhere := net.UDPAddrFromAddrPort(netip.MustParseAddrPort("192.0.2.7:9000"))
	if taken, _ := g.matchKernelDownlink(st, good, elsewhere, 10, &c); taken {
		t.Error("a probe from another address was taken")
	}
	mapped := &net.UDPAddr{IP: net.ParseIP("::ffff:" + testN6.Addr().String()), Port: int(testN6.Port())}
	if taken, err := g.matchKernelDownlink(st, probeBytes(probe{dir: probeDL, run: 1, session: 0}, 40), mapped, 10, &c); !taken || err != nil {
		t.Errorf("IPv4-mapped source: taken %v, %v", taken, err)
	}
}

// fuzzKernelRun is kernel run 1 with two probe streams: its N6 is testN6
// and its N3 (every stream's peer) 192.0.2.3:2152.
func fuzzKernelRun() *runState {
	n3 := netip.MustParseAddrPort("192.0.2.3:2152")
	st := newRunState(1, Params{Size: 100}, []session{{ue: n3.Addr()}, {ue: n3.Addr()}}, testN6, n3.Port())
	st.kernel = true
	return st
}
