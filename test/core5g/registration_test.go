package core5g

import (
	"crypto/ecdh"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udr"
)

// TestRegistration registers 10 UEs (SUCI null scheme) with 5G AKA and NAS
// security: each gets its own 5G-GUTI and the AMF holds 10 registrations.
func TestRegistration(t *testing.T) {
	const n = 10
	c := startCore(t, coreOptions{})
	c.provision(1, n, false, nil)
	sim := c.addUEs(ueSpec{imsi: imsi(1), count: n})
	res := c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, n)
	gutis := map[string]string{}
	for _, r := range res.UEs {
		if r.Detail == "" || gutis[r.Detail] != "" {
			t.Errorf("%s: 5G-GUTI %q missing or not unique", r.SUPI, r.Detail)
		}
		gutis[r.Detail] = r.SUPI
	}
	for _, st := range c.states(sim) {
		if st.State != "registered" || gutis[st.GUTI] != st.SUPI {
			t.Errorf("%+v, want registered with the 5G-GUTI of its Registration Accept", st)
		}
		// Each UE's SUCI reached the UDM, which claimed one SQN for it.
		if sqn := sqnOf(t, c.subscriber(st.SUPI[len("imsi-"):])); sqn != 0x40 {
			t.Errorf("%s: SQN %#x after one authentication, want 0x40", st.SUPI, sqn)
		}
	}
	c.waitGauge(c.amf.Ops(), n, "corebox_amf_registered_ues")
	c.expect(c.amf.Ops(), n, "corebox_amf_registrations_total", "result", "accepted")
	c.expect(c.amf.Ops(), n, "corebox_amf_authentications_total", "result", "success")
	c.expect(c.ausf.Ops(), n, "corebox_ausf_authentications_total", "result", "success")
	c.expect(c.udm.Ops(), n, "corebox_udm_auth_vectors_total", "result", "ok")
	c.expect(c.udm.Ops(), n, "corebox_udm_suci_deconcealed_total", "scheme", "null", "result", "ok")
	c.expect(c.nssf.Ops(), n, "corebox_nssf_selections_total", "request", "registration", "result", "allowed")
	// NAS security held both ways: nothing failed its integrity check.
	c.expect(c.amf.Ops(), 0, "corebox_amf_nas_mac_failures_total")
	c.expect(sim.Ops(), 0, "corebox_ue_nas_dropped_total")
	// Every NF found its peers through the NRF, where each is registered.
	for _, kind := range []string{"UDR", "UDM", "AUSF", "PCF", "NSSF", "UPF", "SMF", "AMF"} {
		c.expect(c.nrf.Ops(), 1, "corebox_nrf_registered_nfs", "nf_type", kind)
	}
}

// TestRegistrationFailures covers what makes a registration fail at
// authentication or subscription: the network's answer as the UE saw it
// and the counters of every NF involved. With Milenage a wrong K or OPc on
// either side breaks MAC-A first (f1 takes both), so the UE refuses the
// challenge with #20; RES* can only differ at the network when MAC-A
// verifies, i.e. when the UE derives RES* for another serving network
// name (TS 33.501 A.4), which the AMF catches as HRES* != HXRES*.
func TestRegistrationFailures(t *testing.T) {
	// Unconfirmed AUSF contexts expire (and are counted) after a second.
	c := startCore(t, coreOptions{authTTL: time.Second})
	const otherKey = "000102030405060708090a0b0c0d0e0f"
	macFailure := []delta{
		{"ue", "corebox_ue_authentication_failures_total", []string{"cause", "20"}, 1},
		{"ue", "corebox_ue_registrations_total", []string{"result", "auth_rejected"}, 1},
		{"amf", "corebox_amf_authentications_total", []string{"result", "mac_failure"}, 1},
		{"amf", "corebox_amf_registrations_total", []string{"result", "auth_rejected"}, 1},
		{"ausf", "corebox_ausf_authentications_total", []string{"result", "expired"}, 1},
		{"ausf", "corebox_ausf_authentications_total", []string{"result", "success"}, 0},
		{"udm", "corebox_udm_auth_vectors_total", []string{"result", "ok"}, 1},
	}
	for _, tc := range []struct {
		name      string
		sub       udr.Provision // provisioned unless IMSI is empty
		ue        ueSpec
		wantError string
		deltas    []delta
	}{
		{name: "K differs: MAC failure at the UE",
			sub:       udr.Provision{IMSI: imsi(1), K: testK, OPc: testOPc},
			ue:        ueSpec{imsi: imsi(1), k: otherKey},
			wantError: "authentication rejected", deltas: macFailure},
		{name: "OPc differs: MAC failure at the UE",
			sub:       udr.Provision{IMSI: imsi(2), K: testK, OPc: testOPc},
			ue:        ueSpec{imsi: imsi(2), opc: otherKey},
			wantError: "authentication rejected", deltas: macFailure},
		{name: "serving network name differs: RES* mismatch at the network",
			sub:       udr.Provision{IMSI: "002020000000001", K: testK, OPc: testOPc},
			ue:        ueSpec{imsi: "002020000000001", mcc: "002", mnc: "02"},
			wantError: "authentication rejected", deltas: []delta{
				{"ue", "corebox_ue_authentication_failures_total", nil, 0},
				{"ue", "corebox_ue_registrations_total", []string{"result", "auth_rejected"}, 1},
				{"amf", "corebox_amf_authentications_total", []string{"result", "failure"}, 1},
				{"amf", "corebox_amf_registrations_total", []string{"result", "auth_rejected"}, 1},
				{"ausf", "corebox_ausf_authentications_total", []string{"result", "expired"}, 1},
				{"ausf", "corebox_ausf_authentications_total", []string{"result", "success"}, 0},
				{"udm", "corebox_udm_auth_vectors_total", []string{"result", "ok"}, 1},
			}},
		{name: "unknown subscriber: Registration Reject #7",
			ue:        ueSpec{imsi: imsi(9)},
			wantError: "registration rejected: #7 5GS services not allowed", deltas: []delta{
				{"ue", "corebox_ue_registrations_total", []string{"result", "rejected"}, 1},
				{"amf", "corebox_amf_authentications_total", []string{"result", "failure"}, 1},
				{"amf", "corebox_amf_registrations_total", []string{"result", "rejected"}, 1},
				{"ausf", "corebox_ausf_authentications_total", []string{"result", "rejected"}, 1},
				{"udm", "corebox_udm_auth_vectors_total", []string{"result", "user_not_found"}, 1},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.on(t)
			if tc.sub.IMSI != "" {
				c.provisionOne(tc.sub, false)
			}
			tc.ue.count = 1
			sim := c.addUEs(tc.ue)
			before := c.read(tc.deltas, sim)
			res := c.step(sim, simapi.PathRegister, simapi.RegisterRequest{})
			if len(res.UEs) != 1 || res.UEs[0].OK || res.UEs[0].Error != tc.wantError {
				t.Fatalf("register: %+v, want the error %q", res.UEs, tc.wantError)
			}
			if st := c.states(sim); st[0].State != "deregistered" || st[0].GUTI != "" {
				t.Errorf("UE state %+v, want deregistered without a 5G-GUTI", st[0])
			}
			c.checkDeltas(tc.deltas, sim, before)
			c.expect(c.amf.Ops(), 0, "corebox_amf_registered_ues")
		})
	}
}

// TestSQNResync: the subscriber's SQN is not one the USIM accepts, the UE
// answers Synch failure (#21) with AUTS, the AMF asks the AUSF again with
// it, the UDM checks MAC-S, restarts from the USIM's SQN and the
// registration succeeds.
func TestSQNResync(t *testing.T) {
	c := startCore(t, coreOptions{})
	resync := []delta{
		{"ue", "corebox_ue_authentication_failures_total", []string{"cause", "21"}, 1},
		{"ue", "corebox_ue_registrations_total", []string{"result", "ok"}, 1},
		{"amf", "corebox_amf_authentications_total", []string{"result", "resync"}, 1},
		{"amf", "corebox_amf_authentications_total", []string{"result", "success"}, 1},
		{"udm", "corebox_udm_auth_vectors_total", []string{"result", "resync"}, 1},
		{"ausf", "corebox_ausf_authentications_total", []string{"result", "success"}, 1},
	}
	t.Run("SQN reset behind the USIM's", func(t *testing.T) {
		c := c.on(t)
		c.provision(1, 1, false, nil)
		sim := c.addUEs(ueSpec{imsi: imsi(1), count: 1})
		c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, 1)
		used := sqnOf(t, c.subscriber(imsi(1)))
		c.stepOK(sim, simapi.PathDeregister, simapi.DeregisterRequest{}, 1)
		// The operator rewrites the subscriber with SQN 0: its next vector
		// carries an SQN the USIM has already seen.
		c.provision(1, 1, true, func(p *udr.Provision) { p.SQN = "0" })
		before := c.read(resync, sim)
		c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, 1)
		c.checkDeltas(resync, sim, before)
		if now := sqnOf(t, c.subscriber(imsi(1))); now <= used {
			t.Errorf("SQN after resync %#x, want past the USIM's %#x", now, used)
		}
	})
	t.Run("SQN provisioned too far ahead", func(t *testing.T) {
		c := c.on(t)
		// Beyond the USIM's window (2^28 SEQs ahead of the highest it
		// accepted): it refuses the SQN as out of range.
		c.provision(2, 1, false, func(p *udr.Provision) { p.SQN = "100000000000" })
		sim := c.addUEs(ueSpec{imsi: imsi(2), count: 1})
		before := c.read(resync, sim)
		c.stepOK(sim, simapi.PathRegister, simapi.RegisterRequest{}, 1)
		c.checkDeltas(resync, sim, before)
		if now := sqnOf(t, c.subscriber(imsi(2))); now >= 0x100000000000 {
			t.Errorf("SQN after resync %#x, want restarted from the USIM's", now)
		}
	})
	c.waitGauge(c.amf.Ops(), 2, "corebox_amf_registered_ues")
}

func sqnOf(t *testing.T, v udr.View) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(v.SQN, 16, 48)
	if err != nil {
		t.Fatalf("SQN %q of %s: %v", v.SQN, v.IMSI, err)
	}
	return n
}

// TestSUCIProfiles conceals SUPIs with ECIES (TS 33.501 C.3): the UDM
// holds a profile A (X25519) and a profile B (P-256) key and publishes
// their public halves, which the UEs are given. A UE holding a public key
// that is not the home network's sends a SUCI the UDM cannot open.
func TestSUCIProfiles(t *testing.T) {
	keyA, err := ecdh.X25519().GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := ecdh.P256().GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := ecdh.X25519().GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := startCore(t, coreOptions{suciKeys: []udm.SUCIKey{
		{ID: 1, Scheme: "A", PrivateKey: hex.EncodeToString(keyA.Bytes())},
		{ID: 2, Scheme: "B", PrivateKey: hex.EncodeToString(keyB.Bytes())},
	}})
	pubs := map[int]string{}
	code, body := c.do("GET", c.opsURL(c.udm.Ops())+"/suci-keys", "", nil)
	var list []udm.PublicKey
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || len(list) != 2 {
		t.Fatalf("GET /suci-keys: %d %s (%v)", code, body, err)
	}
	for _, k := range list {
		pubs[k.ID] = k.PublicKey
	}
	const n = 5
	for i, tc := range []struct {
		name, scheme, key, label string
		keyID                    int
		wantError                string
	}{
		{name: "profile A", scheme: "a", key: pubs[1], keyID: 1, label: "profile_a"},
		{name: "profile B", scheme: "b", key: pubs[2], keyID: 2, label: "profile_b"},
		{name: "profile A, not the home network's key", scheme: "a", keyID: 1, label: "profile_a",
			key: hex.EncodeToString(stranger.PublicKey().Bytes()), wantError: "authentication rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.on(t)
			first := 100*(i+1) + 1
			c.provision(first, n, false, nil)
			sim := c.addUEs(ueSpec{imsi: imsi(first), count: n, scheme: tc.scheme, hnKey: tc.key, hnKeyID: tc.keyID})
			result := map[bool]string{true: "ok", false: "failed"}[tc.wantError == ""]
			ds := []delta{{"udm", "corebox_udm_suci_deconcealed_total", []string{"scheme", tc.label, "result", result}, n}}
			if tc.wantError != "" {
				ds = append(ds, delta{"ausf", "corebox_ausf_authentications_total", []string{"result", "rejected"}, n})
			}
			before := c.read(ds, sim)
			res := c.step(sim, simapi.PathRegister, simapi.RegisterRequest{})
			for _, r := range res.UEs {
				if r.OK != (tc.wantError == "") || r.Error != tc.wantError {
					t.Errorf("%s: ok %v, error %q; want the error %q", r.SUPI, r.OK, r.Error, tc.wantError)
				}
			}
			c.checkDeltas(ds, sim, before)
		})
	}
	c.waitGauge(c.amf.Ops(), 2*n, "corebox_amf_registered_ues")
	c.expect(c.udm.Ops(), 0, "corebox_udm_suci_deconcealed_total", "scheme", "null")
}
