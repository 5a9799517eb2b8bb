package ue_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/naseps"
)

func withIMSPDN(c *ue.Config) { c.LTE.PDNs = []string{"ims"} }

// TestIMSBearerHook: a QCI 1 dedicated bearer the network activates on
// the ims PDN connection (Activate Dedicated EPS Bearer Context Request)
// reaches a call's bearer watch through the ESM code, and so does its
// deactivation.
func TestIMSBearerHook(t *testing.T) {
	nfkittest.NoLeaks(t, ue.SipgoLateClientConn)
	l := startLTE(t, 1, withIMSPDN)
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	p := pdns(t, l.ues)[0]
	if len(p.PDNs) != 2 || p.PDNs[1].APN != "ims" {
		t.Fatalf("pdns %+v, want the default and ims", p.PDNs)
	}
	imsEBI := uint8(p.PDNs[1].EBI)
	w := ue.WatchVoiceBearer(l.ues.UEs()[0])
	defer w.Stop()
	udp := uint8(17)
	tft := naseps.TFT{Op: naseps.TFTCreate, Filters: []naseps.PacketFilter{{ID: 1, Direction: naseps.FilterBidirectional,
		Precedence: 10, Protocol: &udp, RemoteAddress: netip.MustParsePrefix("10.47.0.0/16")}}}
	imsi := imsiOf(p.SUPI)
	if _, err := l.net.ActivateDedicated(imsi, imsEBI, 5, tft); err != nil { // not voice: ignored
		t.Fatal(err)
	}
	answered := time.Now()
	ebi, err := l.net.ActivateDedicated(imsi, imsEBI, 1, tft)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !w.Active(ctx, 5*time.Second) {
		t.Fatal("no QCI 1 bearer seen")
	}
	if err := l.net.DeactivateBearer(imsi, ebi); err != nil {
		t.Fatal(err)
	}
	if !w.Released(ctx, 5*time.Second) {
		t.Fatal("bearer release not seen")
	}
	b := w.Outcome(answered)
	if b == nil || b.EBI != ebi || b.QCI != 1 || !b.Released || b.SetupMs < 0 {
		t.Errorf("bearer %+v, want EBI %d QCI 1 released after the answer", b, ebi)
	}
}

// TestIMSControlAPI: the IMS steps' validation, the memory data plane's
// clear refusal, and GET /ues/calls.
func TestIMSControlAPI(t *testing.T) {
	nfkittest.NoLeaks(t, ue.SipgoLateClientConn)
	l := startLTE(t, 2, withIMSPDN)
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 2)
	base := "http://" + l.ues.Ops().Addr().String()
	supi := states(t, l.ues)[0].SUPI
	callee := "sip:001010000000002@ims.mnc001.mcc001.3gppnetwork.org"
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"tcp", simapi.PathIMSRegister, `{"tcp": true}`, "tcp"},
		{"bad apn", simapi.PathIMSRegister, `{"apn": "ims..x"}`, "apn"},
		{"no targets", simapi.PathCalls, `{}`, "targets"},
		{"bad hang up", simapi.PathCalls, `{"targets": {"` + supi + `": "` + callee + `"}, "hang_up": "nobody"}`, "hang_up"},
		{"bad target", simapi.PathCalls, `{"targets": {"` + supi + `": "mailto:x"}}`, "targets"},
		{"foreign caller", simapi.PathCalls, `{"targets": {"imsi-001019999999999": "` + callee + `"}}`, "not one of"},
		{"unselected", simapi.PathCalls, `{"ues": ["` + states(t, l.ues)[1].SUPI + `"], "targets": {"` + supi + `": "` + callee + `"}}`, "no selected UE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := nfkittest.Do(t, "POST", base+tc.path, tc.body)
			if code != 400 || !strings.Contains(out, tc.want) {
				t.Errorf("POST %s %s = %d %s, want 400 about %s", tc.path, tc.body, code, out, tc.want)
			}
		})
	}
	res := step(t, l.ues, simapi.PathIMSRegister, simapi.IMSRegisterRequest{})
	for _, r := range res.UEs {
		if r.OK || !strings.Contains(r.Error, "data_plane.mode tun") {
			t.Errorf("ims register in memory mode: %+v, want a clear refusal", r)
		}
	}
	res = step(t, l.ues, simapi.PathCalls, simapi.CallRequest{Targets: map[string]string{supi: callee}})
	if len(res.UEs) != 1 || res.UEs[0].OK || res.UEs[0].Error != "not registered to the IMS" {
		t.Errorf("call while not registered: %+v", res.UEs)
	}
	res = step(t, l.ues, simapi.PathIMSDeregister, simapi.IMSRegisterRequest{})
	if len(res.UEs) != 2 || res.UEs[0].Error != "not registered to the IMS" {
		t.Errorf("ims deregister while not registered: %+v", res.UEs)
	}
	code, out := nfkittest.Do(t, "GET", base+simapi.PathCalls, "")
	var recs []simapi.CallRecord
	if err := json.Unmarshal([]byte(out), &recs); code != 200 || err != nil || recs == nil || len(recs) != 0 {
		t.Errorf("GET %s = %d %s (%v), want []", simapi.PathCalls, code, out, err)
	}
	if got := metric(t, l.ues.Ops().Registry(), "corebox_ue_ims_registrations_total", "op", "register", "result", "error"); got != 2 {
		t.Errorf("failed ims registrations %v, want 2", got)
	}
}
