package ue_test

import (
	"crypto/ecdh"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/corebox/corebox/labs/sim/gnb/fakecore"
	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
)

// TestWrongKeyIsRejected: the network's K differs from the USIM's, so
// MAC-A fails (#20) and the network rejects the authentication.
func TestWrongKeyIsRejected(t *testing.T) {
	nfkittest.NoLeaks(t)
	const n = 2
	l := startLabWith(t, startCore(t, "00112233445566778899AABBCCDDEEFF"), n)
	res := step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{})
	for _, r := range res.UEs {
		if r.OK || r.Error != "authentication rejected" {
			t.Errorf("%s: ok=%v error=%q, want authentication rejected", r.SUPI, r.OK, r.Error)
		}
	}
	reg := l.ues.Ops().Registry()
	if got := metric(t, reg, "corebox_ue_authentication_failures_total", "cause", "20"); got != n {
		t.Errorf("MAC failures sent = %v, want %d", got, n)
	}
	if got := metric(t, reg, "corebox_ue_registrations_total", "result", "auth_rejected"); got != n {
		t.Errorf("auth_rejected registrations = %v", got)
	}
	if got := l.core.Stats().AuthRejects; got != n {
		t.Errorf("core sent %d authentication rejects", got)
	}
	for _, s := range states(t, l.ues) {
		if s.State != "deregistered" {
			t.Errorf("%s is %s", s.SUPI, s.State)
		}
	}
	nfkittest.Eventually(t, 5*time.Second, "gnb releases the rejected UEs", func() bool { return l.gnb.ConnectedUEs() == 0 })
}

// TestSynchFailureResynchronises: the network reuses an SQN the USIM has
// seen; the UE answers #21 with AUTS, the network resynchronises and the
// second challenge succeeds.
func TestSynchFailureResynchronises(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, 1)
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), 1)
	supi := states(t, l.ues)[0].SUPI
	if err := l.core.SetSQN(supi, 0x21); err != nil { // the SQN of the first challenge
		t.Fatal(err)
	}
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	if got := l.core.Stats().Resyncs; got != 1 {
		t.Errorf("core resynchronised %d times, want 1", got)
	}
	if got := metric(t, l.ues.Ops().Registry(), "corebox_ue_authentication_failures_total", "cause", "21"); got != 1 {
		t.Errorf("synch failures sent = %v, want 1", got)
	}
}

// TestSUCIProfiles: SUCIs concealed with ECIES profiles A and B reach the
// network, which de-conceals them with its private key.
func TestSUCIProfiles(t *testing.T) {
	nfkittest.NoLeaks(t)
	for _, tc := range []struct {
		name   string
		scheme aka.ProtectionScheme
	}{{"a", aka.SchemeProfileA}, {"b", aka.SchemeProfileB}} {
		t.Run(tc.name, func(t *testing.T) {
			priv, err := aka.GenerateHNKey(tc.scheme)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := aka.MarshalHNPublicKey(tc.scheme, priv.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			core := startCore(t, testK, func(c *fakecore.Config) { c.HNKeys = map[uint8]*ecdh.PrivateKey{3: priv} })
			l := startLabWith(t, core, 2, func(c *ue.Config) {
				c.UEs.ProtectionScheme, c.UEs.HNPublicKey, c.UEs.HNKeyID = tc.name, hex.EncodeToString(pub), 3
			})
			allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 2)
		})
	}
}

// TestSessionReject: an unknown DNN is rejected with its 5GSM cause; the
// UE stays registered and a good request then succeeds.
func TestSessionReject(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, 1)
	allOK(t, step(t, l.ues, simapi.PathRegister, simapi.RegisterRequest{}), 1)
	res := step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{DNN: "ims", SST: 1})
	if r := res.UEs[0]; r.OK || r.Error != "pdu session rejected: #27 missing or unknown DNN" {
		t.Errorf("session to ims: ok=%v error=%q", r.OK, r.Error)
	}
	allOK(t, step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{ID: 2}), 1)
	s := states(t, l.ues)[0]
	if s.State != "registered" || len(s.Sessions) != 1 || s.Sessions[0] != 2 {
		t.Errorf("state %+v", s)
	}
	res = step(t, l.ues, simapi.PathSessions, simapi.SessionRequest{ID: 2})
	if r := res.UEs[0]; r.OK || !strings.Contains(r.Error, "already established") {
		t.Errorf("second session 2: ok=%v error=%q", r.OK, r.Error)
	}
}

// TestStepsNeedRegistration: steps that need a registered UE say so.
func TestStepsNeedRegistration(t *testing.T) {
	nfkittest.NoLeaks(t)
	l := startLab(t, 1)
	for path, req := range map[string]any{
		simapi.PathSessions: simapi.SessionRequest{},
		simapi.PathIdle:     simapi.IdleRequest{},
		simapi.PathTraffic:  simapi.TrafficRequest{Target: "10.1.1.1:7", Count: 1, Size: 10},
	} {
		if r := step(t, l.ues, path, req).UEs[0]; r.OK || r.Error != "not registered" {
			t.Errorf("%s: ok=%v error=%q", path, r.OK, r.Error)
		}
	}
	allOK(t, step(t, l.ues, simapi.PathDeregister, simapi.DeregisterRequest{}), 1) // nothing to do
}
