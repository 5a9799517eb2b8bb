package pcscf

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
	imssip "github.com/corebox/corebox/nf/proto/sip"
)

func TestRegisterThroughPCSCF(t *testing.T) {
	e := startEnv(t, RxRequired, false, true)
	u := newUE(t, "127.0.0.2", e.sip)
	challenge, _ := u.register(t)

	c, err := imssip.ParseChallenge(headerValue(challenge, "WWW-Authenticate"))
	must(t, err == nil, "401 challenge: %v", err)
	must(t, c.CK == "" && c.IK == "", "ck/ik reached the UE: %+v", c)
	must(t, c.Nonce == "cmFuZGF1dG4=" && c.Algorithm == "AKAv1-MD5", "challenge altered: %+v", c)

	reg := e.cscf.received(sip.REGISTER, "reg-127.0.0.2")
	path, err := imssip.ParseNameAddrList(headerValue(reg, "Path"))
	must(t, err == nil && len(path) == 1, "Path at the I-CSCF: %q (%v)", headerValue(reg, "Path"), err)
	must(t, strings.Contains(path[0].URI, "@"+e.sip) && strings.HasSuffix(path[0].URI, ";lr"),
		"Path %q does not name the P-CSCF %s", path[0].URI, e.sip)

	r, ok := e.n.Registration(u.addr)
	must(t, ok, "no registration stored for %s", u.addr)
	must(t, slices.Equal(r.IMPUs, []string{impu, impuTel}), "IMPUs %v", r.IMPUs)
	must(t, slices.Equal(r.ServiceRoute, []string{e.cscf.serviceRoute()}), "Service-Route %v", r.ServiceRoute)
	want := u.contact()
	must(t, r.Contact == want.String(), "contact %q, want %q", r.Contact, want.String())
	left := time.Until(r.Expires)
	must(t, left > 590*time.Second && left <= 600*time.Second, "expires in %v, want 600s", left)
}

func TestOriginatingInviteAndRx(t *testing.T) {
	nfkittest.NoLeaks(t)
	e := startEnv(t, RxRequired, true, true)
	gx := e.openGx(t, "127.0.0.2")
	u := newUE(t, "127.0.0.2", e.sip)
	u.register(t)

	inv := u.request(sip.INVITE, "tel:+15550002", "call-1")
	inv.AppendHeader(sip.NewHeader("P-Preferred-Identity", "<"+impuTel+">"))
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	inv.SetBody(u.offer(t, 40000))
	rs := u.send(t, inv)
	must(t, final(rs).StatusCode == 200, "INVITE: %d %s, want 200", final(rs).StatusCode, final(rs).Reason)

	got := e.cscf.received(sip.INVITE, "call-1")
	must(t, got != nil, "S-CSCF saw no INVITE")
	must(t, headerValue(got, "P-Asserted-Identity") == "<"+impuTel+">", "P-Asserted-Identity %q", headerValue(got, "P-Asserted-Identity"))
	must(t, got.GetHeader("P-Preferred-Identity") == nil, "P-Preferred-Identity not removed")
	pcv, err := imssip.ParsePChargingVector(headerValue(got, "P-Charging-Vector"))
	must(t, err == nil && pcv.ICID != "", "P-Charging-Vector %q: %v", headerValue(got, "P-Charging-Vector"), err)
	must(t, got.Route() != nil && got.Route().Address.User == "orig", "Route %v, want the Service-Route", got.Route())
	rr := got.RecordRoute()
	must(t, rr != nil && fmt.Sprintf("%s:%d", rr.Address.Host, rr.Address.Port) == e.sip, "Record-Route %v", rr)

	rars := e.pgw.WaitRARs(t, 1)
	must(t, rars[0].SessionID == gx && len(rars[0].Install) == 1, "RAR %+v", rars[0])
	rule := rars[0].Install[0]
	must(t, rule.QoS != nil && rule.QoS.QCI == 1, "rule QoS %+v, want QCI 1", rule.QoS)
	// Gx writes both directions remote-to-UE, told apart by Flow-Direction.
	var flows []diameter.Flow
	for _, f := range rule.Flows {
		flows = append(flows, diameter.Flow{Description: f.Description, Direction: f.Direction})
	}
	for _, want := range []diameter.Flow{
		{Description: "permit out 17 from 127.0.0.1 50000 to 127.0.0.2 40000", Direction: diameter.FlowDirectionDownlink},
		{Description: "permit out 17 from 127.0.0.1 50000 to 127.0.0.2 40000", Direction: diameter.FlowDirectionUplink},
		{Description: "permit out 17 from 127.0.0.1 50001 to 127.0.0.2 40001", Direction: diameter.FlowDirectionDownlink},
		{Description: "permit out 17 from 127.0.0.1 50001 to 127.0.0.2 40001", Direction: diameter.FlowDirectionUplink},
	} {
		must(t, slices.Contains(flows, want), "flows %+v lack %+v", flows, want)
	}
	must(t, counter(t, e.n.metrics.rx.WithLabelValues(rxAAR, rxOK)) == 1, "aar ok counter")
	must(t, e.n.dialogs.count() == 1, "dialogs %d, want 1", e.n.dialogs.count())

	// BYE within the dialog: Route through us (Record-Route), to the callee.
	bye := u.request(sip.BYE, final(rs).Contact().Address.String(), "call-1")
	bye.ReplaceHeader(&sip.ToHeader{Address: final(rs).To().Address, Params: final(rs).To().Params})
	bye.ReplaceHeader(inv.From())
	bye.AppendHeader(&sip.RouteHeader{Address: rr.Address})
	must(t, final(u.send(t, bye)).StatusCode == 200, "BYE not answered 200")
	must(t, e.cscf.received(sip.BYE, "call-1") != nil, "callee saw no BYE")
	rars = e.pgw.WaitRARs(t, 2)
	must(t, slices.Equal(rars[1].Remove, []string{rule.Name}), "second RAR removes %v, want [%s]", rars[1].Remove, rule.Name)
	must(t, counter(t, e.n.metrics.rx.WithLabelValues(rxSTR, rxOK)) == 1, "str ok counter")
	must(t, e.n.dialogs.count() == 0, "dialogs %d after BYE", e.n.dialogs.count())
}

func TestRxPolicy(t *testing.T) {
	nfkittest.NoLeaks(t)
	for _, tc := range []struct {
		policy string
		answer bool
		want   int
	}{
		{RxRequired, false, 503}, // no Gx session: AAR 5065, the call is rejected
		{RxOptional, true, 200},  // the call goes on without a dedicated bearer
	} {
		t.Run(tc.policy, func(t *testing.T) {
			e := startEnv(t, tc.policy, true, tc.answer)
			u := newUE(t, "127.0.0.3", e.sip) // no Gx session for this address
			u.register(t)
			inv := u.request(sip.INVITE, "tel:+15550002", "call-"+tc.policy)
			inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			inv.SetBody(u.offer(t, 40010))
			rs := u.send(t, inv)
			must(t, final(rs).StatusCode == tc.want, "INVITE: %d, want %d", final(rs).StatusCode, tc.want)
			must(t, counter(t, e.n.metrics.rx.WithLabelValues(rxAAR, rxRefused)) == 1, "aar refused counter")
			if tc.policy == RxRequired {
				nfkittest.Eventually(t, 10*time.Second, "callee cancelled", func() bool { return e.cscf.wasCancelled(inv.CallID().Value()) })
			}
			must(t, len(e.pgw.RARs()) == 0, "RARs sent: %d", len(e.pgw.RARs()))
		})
	}
}

func TestUnregisteredSourceForbidden(t *testing.T) {
	e := startEnv(t, RxRequired, false, true)
	registered := newUE(t, "127.0.0.2", e.sip)
	registered.register(t)
	stranger := newUE(t, "127.0.0.4", e.sip)
	inv := stranger.request(sip.INVITE, "tel:+15550002", "call-stranger")
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	inv.SetBody(stranger.offer(t, 40020))
	must(t, final(stranger.send(t, inv)).StatusCode == 403, "stranger's INVITE not refused 403")
	must(t, e.cscf.received(sip.INVITE, "call-stranger") == nil, "stranger's INVITE was forwarded")
	must(t, counter(t, e.n.metrics.forbidden) == 1, "forbidden counter")

	bad := registered.request(sip.MESSAGE, "tel:+15550002", "msg-bad-ppi")
	bad.AppendHeader(sip.NewHeader("P-Preferred-Identity", "<sip:unterminated"))
	must(t, final(registered.send(t, bad)).StatusCode == 400, "bad P-Preferred-Identity not refused 400")
	must(t, counter(t, e.n.metrics.malformed) == 1, "malformed counter")
}

func TestTerminatingViaPath(t *testing.T) {
	e := startEnv(t, RxRequired, false, true)
	u := newUE(t, "127.0.0.2", e.sip)
	u.register(t)
	path := headerValue(e.cscf.received(sip.REGISTER, "reg-127.0.0.2"), "Path")
	l, err := imssip.ParseNameAddrList(path)
	must(t, err == nil && len(l) == 1, "Path %q", path)
	var pathURI sip.Uri
	must(t, sip.ParseUri(l[0].URI, &pathURI) == nil, "Path URI %q", l[0].URI)

	// The S-CSCF retargets to the contact and routes via the Path.
	req := sip.NewRequest(sip.MESSAGE, u.contact())
	req.SetDestination(e.sip)
	req.AppendHeader(&sip.RouteHeader{Address: pathURI})
	req.AppendHeader(sip.NewHeader("Content-Type", "text/plain"))
	req.SetBody([]byte("hello"))
	res, err := e.cscf.ep.Client.Do(t.Context(), req)
	must(t, err == nil && res.StatusCode == 200, "MESSAGE to the UE: %v %v", res, err)
	select {
	case r := <-u.messages:
		must(t, r.Route() == nil, "Route left on the request to the UE: %v", r.Route())
	case <-time.After(5 * time.Second):
		t.Fatal("UE got no MESSAGE")
	}
}

// counter is the value of one counter.
func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
