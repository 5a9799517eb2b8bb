package pcrf

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

const (
	fuzzPGW   = "pgw.epc.mnc001.mcc001.3gppnetwork.org"
	fuzzAF    = "pcscf.ims.mnc001.mcc001.3gppnetwork.org"
	fuzzRealm = "epc.mnc001.mcc001.3gppnetwork.org"
	fuzzGxSID = "pgw.epc;1;1"
)

var fuzzUE = netip.MustParseAddr("10.46.0.2")

// handlerPCRF is a PCRF that is not running: its handlers are called
// directly, and its RARs find no PGW connected.
func handlerPCRF(t testing.TB) *PCRF {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MaxSessions = 1000
	n, err := New(cfg, nfkit.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// wire builds b and decodes it back, as a peer would receive it.
func wire(t testing.TB, b interface{ Build() (*diam.Message, error) }) []byte {
	t.Helper()
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := diameter.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func header(sid, from string) diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: sid, OriginHost: from, OriginRealm: fuzzRealm, DestinationRealm: fuzzRealm}
}

func gxSeeds(t testing.TB) [][]byte {
	h := header(fuzzGxSID, fuzzPGW)
	return [][]byte{
		wire(t, &diameter.CCR{RequestHeader: h, RequestType: diameter.CCRequestInitial, APN: "ims", FramedIP: fuzzUE,
			Subscriptions: []diameter.SubscriptionID{{Type: diameter.SubscriptionIDIMSI, Data: "001010000000001"}},
			RATType:       diameter.RATTypeEUTRAN, DefaultBearerQoS: &diameter.BearerQoS{QCI: 5, ARP: diameter.ARP{PriorityLevel: 1}}}),
		wire(t, &diameter.CCR{RequestHeader: h, RequestType: diameter.CCRequestUpdate, RequestNumber: 1}),
		wire(t, &diameter.CCR{RequestHeader: h, RequestType: diameter.CCRequestTermination, RequestNumber: 2}),
		wire(t, &diameter.CCR{RequestHeader: header("pgw.epc;1;2", fuzzPGW), RequestType: diameter.CCRequestInitial, APN: "nowhere"}),
	}
}

func rxSeeds(t testing.TB) [][]byte {
	h := header("pcscf.ims;1;1", fuzzAF)
	media := diameter.MediaComponent{Number: 1, MediaType: diameter.MediaTypeAudio, MaxReqBandwidthUL: 41000, MaxReqBandwidthDL: 41000,
		Subs: []diameter.MediaSubComponent{{FlowNumber: 1, Descriptions: []string{
			"permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000", "permit in 17 from 10.46.0.2 40000 to 10.0.0.1 50000"}}}}
	return [][]byte{
		wire(t, &diameter.AAR{RequestHeader: h, FramedIP: fuzzUE, Media: []diameter.MediaComponent{media}}),
		wire(t, &diameter.AAR{RequestHeader: header("pcscf.ims;1;2", fuzzAF), FramedIP: fuzzUE}),
		wire(t, &diameter.STR{RequestHeader: header("pcscf.ims;1;2", fuzzAF), TerminationCause: diameter.TerminationLogout}),
		wire(t, &diameter.STR{RequestHeader: h, TerminationCause: diameter.TerminationLogout}),
	}
}

// checkAnswer: a handler's error is one the Diameter layer maps to a
// result (never "unable to comply"), and an answer encodes, parses and
// belongs to the request's session.
func checkAnswer(t *testing.T, req, ans *diam.Message, err error, parse func(*diam.Message) (string, error)) {
	t.Helper()
	if err != nil {
		var re *diameter.ResultError
		if !errors.Is(err, diameter.ErrMissingAVP) && !errors.Is(err, diameter.ErrInvalidAVP) && !errors.As(err, &re) {
			t.Fatalf("handler error the layer answers 5012: %v", err)
		}
		return
	}
	raw, err := diameter.Encode(ans)
	if err != nil {
		t.Fatalf("answer does not encode: %v", err)
	}
	back, err := diameter.Decode(raw)
	if err != nil {
		t.Fatalf("answer does not decode: %v", err)
	}
	sid, err := parse(back)
	if err != nil {
		t.Fatalf("answer does not parse: %v", err)
	}
	a, err := req.FindAVP(avp.SessionID, 0)
	if err != nil {
		t.Fatalf("answered a request without Session-Id: %v", err)
	}
	if want, ok := a.Data.(datatype.UTF8String); !ok || string(want) != sid {
		t.Fatalf("answer of session %q to a request of %v", sid, a.Data)
	}
}

// FuzzGx: whatever a PGW sends as a CCR, the Gx handler never panics,
// and answers with a well-formed CCA or an error the layer maps to a
// result code. Seeds: testdata/fuzz/FuzzGx and gxSeeds.
func FuzzGx(f *testing.F) {
	for _, s := range gxSeeds(f) {
		f.Add(s)
	}
	n := handlerPCRF(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := diameter.Decode(b)
		if err != nil || m.Header.ApplicationID != diameter.AppGx || m.Header.CommandCode != diameter.CmdCreditControl ||
			m.Header.CommandFlags&diam.RequestFlag == 0 {
			return
		}
		ans, err := n.serveCCR(context.Background(), nil, m)
		checkAnswer(t, m, ans, err, func(a *diam.Message) (string, error) {
			cca, err := diameter.ParseCCA(a)
			if err != nil {
				return "", err
			}
			return cca.SessionID, nil
		})
	})
}

// FuzzRx: likewise for AARs and STRs from a P-CSCF, with a Gx session
// for the seeds' UE address in place (its PGW is not connected, so media
// end in IP-CAN_SESSION_NOT_AVAILABLE). Seeds: testdata/fuzz/FuzzRx and
// rxSeeds.
func FuzzRx(f *testing.F) {
	for _, s := range rxSeeds(f) {
		f.Add(s)
	}
	n := handlerPCRF(f)
	ccr, err := diameter.Decode(gxSeeds(f)[0])
	if err != nil {
		f.Fatal(err)
	}
	if _, err := n.serveCCR(context.Background(), nil, ccr); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := diameter.Decode(b)
		if err != nil || m.Header.ApplicationID != diameter.AppRx || m.Header.CommandFlags&diam.RequestFlag == 0 {
			return
		}
		var ans *diam.Message
		switch m.Header.CommandCode {
		case diameter.CmdAA:
			ans, err = n.serveAAR(context.Background(), nil, m)
			checkAnswer(t, m, ans, err, func(a *diam.Message) (string, error) {
				x, err := diameter.ParseAAA(a)
				if err != nil {
					return "", err
				}
				return x.SessionID, nil
			})
		case diameter.CmdSessionTermination:
			ans, err = n.serveSTR(context.Background(), nil, m)
			checkAnswer(t, m, ans, err, func(a *diam.Message) (string, error) {
				x, err := diameter.ParseSTA(a)
				if err != nil {
					return "", err
				}
				return x.SessionID, nil
			})
		}
	})
}

// FuzzFlowDescription: the Rx-to-Gx conversion never panics, and what it
// gives is a Gx "permit out" rule that reads back to itself.
func FuzzFlowDescription(f *testing.F) {
	for _, s := range []string{
		"permit out 17 from 10.0.0.1 50000 to 10.46.0.2 40000",
		"permit in 17 from 10.46.0.2 40000 to 10.0.0.1 50000",
		"permit in 6 from 10.46.0.2 1000-1010,2000 to any 80",
		"permit out ip from 2001:db8::/32 to 2001:db8::2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := rxToGx(s, fuzzUE)
		if err != nil {
			if !errors.Is(err, errFilter) {
				t.Fatalf("error outside errFilter: %v", err)
			}
			return
		}
		r, err := parseIPFilter(g.Description)
		if err != nil || r.dir != "out" || r.String() != g.Description {
			t.Fatalf("%q became %q, which reads back as %+v (%v)", s, g.Description, r, err)
		}
		if g.Direction != diameter.FlowDirectionDownlink && g.Direction != diameter.FlowDirectionUplink {
			t.Fatalf("direction %d", g.Direction)
		}
	})
}

// TestAARWithPGWGone: an AAR bound to a session whose PGW is not
// connected is answered IP-CAN_SESSION_NOT_AVAILABLE, the RAR counted
// no_peer, the Rx session not kept.
func TestAARWithPGWGone(t *testing.T) {
	n := handlerPCRF(t)
	ccr, err := diameter.Decode(gxSeeds(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.serveCCR(context.Background(), nil, ccr); err != nil {
		t.Fatal(err)
	}
	aar, err := diameter.Decode(rxSeeds(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	ans, err := n.serveAAR(context.Background(), nil, aar)
	if err != nil {
		t.Fatal(err)
	}
	aaa, err := diameter.ParseAAA(ans)
	if err != nil {
		t.Fatal(err)
	}
	if aaa.Result != diameter.Experimental(expIPCANSessionNotAvailable) {
		t.Errorf("AAA %v, want Experimental 5065", aaa.Result)
	}
	if gx, rx := n.Sessions(); gx != 1 || rx != 0 {
		t.Errorf("sessions gx %d rx %d, want 1 0", gx, rx)
	}
	rec := httptest.NewRecorder()
	n.Ops().Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := `corebox_pcrf_rar_total{purpose="install",result="no_peer"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s", want)
	}
}
