package pcrf_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/corebox/corebox/nf/epc/pcrf/pcrftest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

var dedicatedARP = &diameter.ARP{PriorityLevel: 2, PreemptionCapability: diameter.PreemptionCapabilityEnabled,
	PreemptionVulnerability: diameter.PreemptionVulnerabilityDisabled}

func TestAARInstallsDedicatedBearer(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	gx, _ := open(t, e.pgw, "ims", ue)
	rx := e.af.NewSessionID()
	aaa := authorize(t, e.af, rx, ue, audio(ue, 41000))
	if aaa.Result != diameter.Success || aaa.SessionID != rx {
		t.Fatalf("AAA %+v", aaa)
	}
	rars := e.pgw.RARs() // the AAA came after the RAA: the RAR is already here
	if len(rars) != 1 {
		t.Fatalf("%d RARs, want 1", len(rars))
	}
	rar := rars[0]
	if rar.SessionID != gx || rar.DestinationHost != pgw1 || rar.DestinationRealm != pcrftest.EPCRealm ||
		rar.ReAuthRequestType != diameter.ReAuthAuthorizeOnly || len(rar.Remove) != 0 {
		t.Errorf("RAR header %+v", rar)
	}
	if len(rar.Install) != 1 {
		t.Fatalf("RAR installs %d rules, want 1", len(rar.Install))
	}
	rule := rar.Install[0]
	if !strings.HasPrefix(rule.Name, "rx-") || rule.Precedence != 100 {
		t.Errorf("rule %q precedence %d", rule.Name, rule.Precedence)
	}
	wantQoS := &diameter.QoSInformation{QCI: 1, MaxReqBandwidthUL: 41000, MaxReqBandwidthDL: 41000,
		GuaranteedBitrateUL: 41000, GuaranteedBitrateDL: 41000, ARP: dedicatedARP}
	if !reflect.DeepEqual(rule.QoS, wantQoS) {
		t.Errorf("rule QoS %+v, want %+v", rule.QoS, wantQoS)
	}
	// Every flow from the remote end to the UE, as Gx writes them, with
	// the direction beside it.
	wantFlows := []diameter.Flow{
		{Description: "permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000", Direction: diameter.FlowDirectionDownlink},
		{Description: "permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000", Direction: diameter.FlowDirectionUplink},
		{Description: "permit out 17 from 10.0.0.1 50001 to 10.46.0.2 40001", Direction: diameter.FlowDirectionDownlink},
		{Description: "permit out 17 from 10.0.0.1 50001 to 10.46.0.2 40001", Direction: diameter.FlowDirectionUplink},
	}
	if !reflect.DeepEqual(rule.Flows, wantFlows) {
		t.Errorf("flows %+v, want %+v", rule.Flows, wantFlows)
	}
	wantSessions(t, e.n, 1, 1)
	s := e.n.SessionsOf(addr(ue))
	if len(s) != 1 || !reflect.DeepEqual(s[0].Rules, map[string]bool{rule.Name: true}) || !reflect.DeepEqual(s[0].RxSessions, []string{rx}) {
		t.Errorf("session %+v", s)
	}
	if v := metric(t, e.n, `corebox_pcrf_rar_total{purpose="install",result="ok"}`); v != 1 {
		t.Errorf("rar{install,ok} = %v, want 1", v)
	}
}

// TestAARQoSPerMedia: the QCI follows the Media-Type, GBR only for GBR
// QCIs, and the configured bandwidth stands in for a missing
// Max-Requested-Bandwidth.
func TestAARQoSPerMedia(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	open(t, e.pgw, "ims", ue)
	tests := []struct {
		name      string
		mediaType uint32
		bw        uint32
		want      diameter.QoSInformation
	}{
		{"audio default bandwidth", diameter.MediaTypeAudio, 0,
			diameter.QoSInformation{QCI: 1, MaxReqBandwidthUL: 128000, MaxReqBandwidthDL: 128000, GuaranteedBitrateUL: 128000, GuaranteedBitrateDL: 128000}},
		{"video", diameter.MediaTypeVideo, 384000,
			diameter.QoSInformation{QCI: 2, MaxReqBandwidthUL: 384000, MaxReqBandwidthDL: 384000, GuaranteedBitrateUL: 384000, GuaranteedBitrateDL: 384000}},
		{"video default bandwidth", diameter.MediaTypeVideo, 0,
			diameter.QoSInformation{QCI: 2, MaxReqBandwidthUL: 2e6, MaxReqBandwidthDL: 2e6, GuaranteedBitrateUL: 2e6, GuaranteedBitrateDL: 2e6}},
		{"data is non-GBR", diameter.MediaTypeData, 64000,
			diameter.QoSInformation{QCI: 8, MaxReqBandwidthUL: 64000, MaxReqBandwidthDL: 64000}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mc := pcrftest.Media(1, tc.mediaType, netip.AddrPortFrom(addr(ue), 40000), netip.MustParseAddrPort("10.0.0.1:50000"), tc.bw)
			if a := authorize(t, e.af, e.af.NewSessionID(), ue, mc); a.Result != diameter.Success {
				t.Fatalf("AAA %v", a.Result)
			}
			rar := e.pgw.WaitRARs(t, i+1)[i]
			got := *rar.Install[0].QoS
			got.ARP = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("QoS %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAARFailures(t *testing.T) {
	e := setup(t, nil)
	open(t, e.pgw, "internet", "10.45.0.2") // an address on an APN Rx may not bind to
	tests := []struct {
		name  string
		ue    string
		media []diameter.MediaComponent
		want  diameter.Result
	}{
		{"no Gx session for the address", "10.46.0.99", []diameter.MediaComponent{audio("10.46.0.99", 0)},
			diameter.Experimental(5065)},
		{"Gx session on a non-IMS APN", "10.45.0.2", []diameter.MediaComponent{audio("10.45.0.2", 0)},
			diameter.Experimental(5065)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a := authorize(t, e.af, e.af.NewSessionID(), tc.ue, tc.media...); a.Result != tc.want {
				t.Errorf("AAA %v, want %v", a.Result, tc.want)
			}
		})
	}
	if n := len(e.pgw.RARs()); n != 0 {
		t.Errorf("%d RARs sent for refused AARs", n)
	}
	wantSessions(t, e.n, 1, 0)
}

func TestAARInvalidServiceInformation(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	open(t, e.pgw, "ims", ue)
	bad := audio(ue, 0)
	bad.Subs[0].Descriptions = []string{"permit out 17 from 10.0.0.1 50000 to assigned 40000"}
	twice := []diameter.MediaComponent{audio(ue, 0), audio(ue, 0)}
	tests := []struct {
		name  string
		media []diameter.MediaComponent
		want  diameter.Result
	}{
		{"assigned on Rx", []diameter.MediaComponent{bad}, diameter.Experimental(5062)},
		{"media component twice", twice, diameter.Experimental(5061)},
	}
	for _, tc := range tests {
		if a := authorize(t, e.af, e.af.NewSessionID(), ue, tc.media...); a.Result != tc.want {
			t.Errorf("%s: AAA %v, want %v", tc.name, a.Result, tc.want)
		}
	}
	aar := &diameter.AAR{RequestHeader: e.af.Header(e.af.NewSessionID()), Media: []diameter.MediaComponent{audio(ue, 0)}}
	if res := send(t, e.af, aar); res.Code != diameter.ResultMissingAVP {
		t.Errorf("AAR without Framed-IP-Address: %v, want 5005", res)
	}
	if n := len(e.pgw.RARs()); n != 0 {
		t.Errorf("%d RARs sent for refused AARs", n)
	}
	wantSessions(t, e.n, 1, 0)
}

func TestAARWhenRAAFails(t *testing.T) {
	tests := []struct {
		name   string
		raa    diameter.Result
		want   diameter.Result
		gx     int
		metric string
	}{
		{"PGW unable to comply", diameter.Result{Code: 5012}, diameter.Experimental(5063), 1, "rejected"},
		{"PGW lost the session", diameter.Result{Code: 5002}, diameter.Experimental(5065), 0, "unknown_session"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, nil)
			ue := "10.46.0.2"
			open(t, e.pgw, "ims", ue)
			e.pgw.OnRAR(func(*diameter.RAR) diameter.Result { return tc.raa })
			if a := authorize(t, e.af, e.af.NewSessionID(), ue, audio(ue, 0)); a.Result != tc.want {
				t.Errorf("AAA %v, want %v", a.Result, tc.want)
			}
			if n := len(e.pgw.RARs()); n != 1 {
				t.Errorf("%d RARs, want 1", n)
			}
			wantSessions(t, e.n, tc.gx, 0)
			if v := metric(t, e.n, `corebox_pcrf_rar_total{purpose="install",result="`+tc.metric+`"}`); v != 1 {
				t.Errorf("rar{install,%s} = %v, want 1", tc.metric, v)
			}
		})
	}
}

func TestSTRRemovesRules(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	gx, _ := open(t, e.pgw, "ims", ue)
	rx := e.af.NewSessionID()
	video := pcrftest.Media(2, diameter.MediaTypeVideo, netip.AddrPortFrom(addr(ue), 42000), netip.MustParseAddrPort("10.0.0.1:52000"), 0)
	if a := authorize(t, e.af, rx, ue, audio(ue, 0), video); a.Result != diameter.Success {
		t.Fatalf("AAA %v", a.Result)
	}
	installed := ruleNames(e.pgw.RARs()[0].Install)
	if len(installed) != 2 {
		t.Fatalf("installed %v, want 2 rules", installed)
	}
	sta := terminateRx(t, e.af, rx)
	if sta.Result != diameter.Success || sta.SessionID != rx {
		t.Fatalf("STA %+v", sta)
	}
	rars := e.pgw.RARs()
	if len(rars) != 2 {
		t.Fatalf("%d RARs, want 2", len(rars))
	}
	if r := rars[1]; r.SessionID != gx || len(r.Install) != 0 || !reflect.DeepEqual(r.Remove, installed) {
		t.Errorf("removal RAR: session %s install %d remove %v, want remove %v", r.SessionID, len(r.Install), r.Remove, installed)
	}
	wantSessions(t, e.n, 1, 0)
	if s := e.n.SessionsOf(addr(ue)); len(s) != 1 || len(s[0].Rules) != 0 {
		t.Errorf("rules left after STR: %+v", s)
	}
	if sta := terminateRx(t, e.af, rx); sta.Result.Code != 5002 {
		t.Errorf("second STR: %v, want 5002", sta.Result)
	}
}

// TestAARModifiesRule: a second AAR of the session reinstalls the
// component's rule, same name, new bandwidth.
func TestAARModifiesRule(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	open(t, e.pgw, "ims", ue)
	rx := e.af.NewSessionID()
	for _, bw := range []uint32{41000, 64000} {
		if a := authorize(t, e.af, rx, ue, audio(ue, bw)); a.Result != diameter.Success {
			t.Fatalf("AAA %v", a.Result)
		}
	}
	rars := e.pgw.RARs()
	if len(rars) != 2 || rars[0].Install[0].Name != rars[1].Install[0].Name || rars[1].Install[0].QoS.GuaranteedBitrateDL != 64000 {
		t.Errorf("RARs %+v", rars)
	}
	wantSessions(t, e.n, 1, 1)
}

func TestSignallingOnlyAARNeedsNoRAR(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	open(t, e.pgw, "ims", ue)
	rx := e.af.NewSessionID()
	sig := diameter.MediaComponent{Number: 0, MediaType: diameter.MediaTypeControl, Subs: []diameter.MediaSubComponent{{
		FlowNumber: 1, Usage: diameter.FlowUsageAFSignalling,
		Descriptions: []string{"permit out 17 from 10.0.0.5 5060 to 10.46.0.2 5060", "permit in 17 from 10.46.0.2 5060 to 10.0.0.5 5060"}}}}
	if a := authorize(t, e.af, rx, ue, sig); a.Result != diameter.Success {
		t.Fatalf("AAA %v", a.Result)
	}
	wantSessions(t, e.n, 1, 1)
	if sta := terminateRx(t, e.af, rx); sta.Result != diameter.Success {
		t.Errorf("STA %v", sta.Result)
	}
	if n := len(e.pgw.RARs()); n != 0 {
		t.Errorf("%d RARs for signalling only", n)
	}
	wantSessions(t, e.n, 1, 0)
}

func TestCCRTerminationReleasesRxSessions(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	gx, _ := open(t, e.pgw, "ims", ue)
	rx := e.af.NewSessionID()
	if a := authorize(t, e.af, rx, ue, audio(ue, 0)); a.Result != diameter.Success {
		t.Fatalf("AAA %v", a.Result)
	}
	if a := terminateGx(t, e.pgw, gx); a.Result != diameter.Success {
		t.Fatalf("CCA-T %v", a.Result)
	}
	wantSessions(t, e.n, 0, 0)
	if v := metric(t, e.n, "corebox_pcrf_rx_sessions_released_total"); v != 1 {
		t.Errorf("rx_sessions_released = %v, want 1", v)
	}
	if a := authorize(t, e.af, e.af.NewSessionID(), ue, audio(ue, 0)); a.Result != diameter.Experimental(5065) {
		t.Errorf("AAR after CCR-T: %v, want 5065", a.Result)
	}
	if a := authorize(t, e.af, rx, ue, audio(ue, 0)); a.Result != diameter.Experimental(5065) {
		t.Errorf("AAR of the released Rx session: %v, want 5065", a.Result)
	}
	if sta := terminateRx(t, e.af, rx); sta.Result.Code != 5002 {
		t.Errorf("STR of the released Rx session: %v, want 5002", sta.Result)
	}
	if n := len(e.pgw.RARs()); n != 1 {
		t.Errorf("%d RARs, want only the first install", n)
	}
}

// TestTwoPGWsGetOwnRARs: each RAR goes to the PGW holding the session.
func TestTwoPGWsGetOwnRARs(t *testing.T) {
	e := setup(t, nil)
	other := pcrftest.NewPGW(t, e.n.DiameterAddr().String(), pgw2)
	pgws := map[string]*pcrftest.PGW{"10.46.0.2": e.pgw, "10.46.1.2": other}
	sessions := map[string]string{}
	for ue, g := range pgws {
		sessions[ue], _ = open(t, g, "ims", ue)
	}
	for ue := range pgws {
		for range 2 {
			if a := authorize(t, e.af, e.af.NewSessionID(), ue, audio(ue, 0)); a.Result != diameter.Success {
				t.Fatalf("AAA for %s: %v", ue, a.Result)
			}
		}
	}
	for ue, g := range pgws {
		rars := g.RARs()
		if len(rars) != 2 {
			t.Errorf("%s got %d RARs, want 2", g.Host, len(rars))
		}
		for _, r := range rars {
			if r.SessionID != sessions[ue] || r.DestinationHost != g.Host {
				t.Errorf("%s got a RAR of session %s for %s", g.Host, r.SessionID, r.DestinationHost)
			}
			if !strings.Contains(r.Install[0].Flows[0].Description, "to "+ue+" ") {
				t.Errorf("%s got flows %+v", g.Host, r.Install[0].Flows)
			}
		}
	}
}

// TestConcurrentAARsAndSTRs: many AF sessions on one Gx session at once;
// every rule installed is removed again and nothing is left behind.
func TestConcurrentAARsAndSTRs(t *testing.T) {
	e := setup(t, nil)
	ue := "10.46.0.2"
	open(t, e.pgw, "ims", ue)
	const sessions = 16
	errs := make(chan error, sessions)
	var wg sync.WaitGroup
	for range sessions {
		wg.Go(func() {
			sid := e.af.NewSessionID()
			a, err := e.af.Authorize(bg, sid, addr(ue), audio(ue, 41000))
			if err == nil && a.Result != diameter.Success {
				err = fmt.Errorf("AAA %v", a.Result)
			}
			if err == nil {
				var s *diameter.STA
				if s, err = e.af.Terminate(bg, sid); err == nil && s.Result != diameter.Success {
					err = fmt.Errorf("STA %v", s.Result)
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var installed, removed []string
	for _, r := range e.pgw.RARs() {
		installed = append(installed, ruleNames(r.Install)...)
		removed = append(removed, r.Remove...)
	}
	slices.Sort(installed)
	slices.Sort(removed)
	if len(installed) != sessions || !slices.Equal(installed, removed) || len(slices.Compact(slices.Clone(installed))) != sessions {
		t.Errorf("installed %v, removed %v", installed, removed)
	}
	wantSessions(t, e.n, 1, 0)
	if s := e.n.SessionsOf(addr(ue)); len(s) != 1 || len(s[0].Rules) != 0 {
		t.Errorf("left behind: %+v", s)
	}
}
