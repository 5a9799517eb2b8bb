package pcrftest

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/diameter"
)

// AF is an Rx client standing for a P-CSCF.
type AF struct {
	Host  string
	Realm string
	c     *diameter.Client
}

// NewAF connects an AF named host to the PCRF at addr, until the test
// ends.
func NewAF(t testing.TB, addr, host string) *AF {
	t.Helper()
	a := &AF{Host: host, Realm: IMSRealm}
	c, err := diameter.NewClient(diameter.PeerConfig{OriginHost: host, OriginRealm: a.Realm,
		Applications: []uint32{diameter.AppRx}}, addr, diameter.WithLogger(nfkittest.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	a.c = c
	startClient(t, c, "af "+host)
	return a
}

// Client is the Rx connection, to send hand-made requests.
func (a *AF) Client() *diameter.Client { return a.c }

// NewSessionID is a fresh Rx Session-Id of this AF.
func (a *AF) NewSessionID() string { return diameter.NewSessionID(a.Host) }

// Header is a request header of session sid towards the PCRF's realm.
func (a *AF) Header(sid string) diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: sid, OriginHost: a.Host, OriginRealm: a.Realm, DestinationRealm: EPCRealm}
}

// Authorize sends an AAR of session sid for the UE address ue with media
// and parses the AAA.
func (a *AF) Authorize(ctx context.Context, sid string, ue netip.Addr, media ...diameter.MediaComponent) (*diameter.AAA, error) {
	aar := &diameter.AAR{RequestHeader: a.Header(sid), AFApplicationID: "IMS Services", FramedIP: ue, Media: media,
		SpecificActions: []uint32{diameter.SpecificActionLossOfBearer, diameter.SpecificActionReleaseOfBearer}}
	m, err := aar.Build()
	if err != nil {
		return nil, err
	}
	ans, err := a.Request(ctx, m)
	if err != nil {
		return nil, err
	}
	return diameter.ParseAAA(ans)
}

// Terminate sends an STR for sid and parses the STA.
func (a *AF) Terminate(ctx context.Context, sid string) (*diameter.STA, error) {
	str := &diameter.STR{RequestHeader: a.Header(sid), TerminationCause: diameter.TerminationLogout}
	m, err := str.Build()
	if err != nil {
		return nil, err
	}
	ans, err := a.Request(ctx, m)
	if err != nil {
		return nil, err
	}
	return diameter.ParseSTA(ans)
}

// Request sends m and returns the answer, within ctx and a 10s bound.
func (a *AF) Request(ctx context.Context, m *diam.Message) (*diam.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return a.c.Request(ctx, m)
}

// Media is a media component as a P-CSCF derives it from an SDP offer
// and answer: RTP on the given ports and RTCP on the next ones, each
// flow described downlink ("permit out", remote to UE) and uplink
// ("permit in", UE to remote) as TS 29.214 writes them. bw is the
// Max-Requested-Bandwidth both ways (bps, 0 leaves it out).
func Media(number, mediaType uint32, ue, remote netip.AddrPort, bw uint32) diameter.MediaComponent {
	flows := func(delta uint16) []string {
		u, r := ue.Port()+delta, remote.Port()+delta
		return []string{
			fmt.Sprintf("permit out 17 from %s %d to %s %d", remote.Addr(), r, ue.Addr(), u),
			fmt.Sprintf("permit in 17 from %s %d to %s %d", ue.Addr(), u, remote.Addr(), r),
		}
	}
	return diameter.MediaComponent{Number: number, MediaType: mediaType, MaxReqBandwidthUL: bw, MaxReqBandwidthDL: bw,
		Subs: []diameter.MediaSubComponent{
			{FlowNumber: 1, Descriptions: flows(0)},
			{FlowNumber: 2, Descriptions: flows(1), Usage: diameter.FlowUsageRTCP},
		}}
}
