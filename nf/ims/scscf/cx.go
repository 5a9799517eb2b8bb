package scscf

import (
	"context"
	"errors"
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/corebox/corebox/nf/aka"
	"github.com/corebox/corebox/nf/proto/diameter"
	ims "github.com/corebox/corebox/nf/proto/sip"
)

// errNoVector: the HSS answered MAA success without a usable vector.
var errNoVector = errors.New("MAA carries no AKA vector")

func (n *SCSCF) header() diameter.RequestHeader {
	return diameter.RequestHeader{SessionID: diameter.NewSessionID(n.cfg.Cx.OriginHost), OriginHost: n.cfg.Cx.OriginHost,
		OriginRealm: n.cfg.Cx.OriginRealm, DestinationRealm: n.cfg.Cx.DestinationRealm}
}

// cxRequest sends a Cx request built by build.
func (n *SCSCF) cxRequest(ctx context.Context, cmd string, build func() (*diam.Message, error)) (*diam.Message, error) {
	m, err := build()
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", cmd, err)
	}
	ans, err := n.hss.Request(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("%s to the HSS: %w", cmd, err)
	}
	return ans, nil
}

// vector is one IMS AKA vector from the HSS; xres keeps its length.
type vector struct {
	ims.AKAVector
	xres []byte
}

// multimediaAuth asks the HSS for one IMS AKA vector (MAR), resyncing
// first when rs is set. The result is the Cx result; err is a transport
// or decoding failure.
func (n *SCSCF) multimediaAuth(ctx context.Context, impi, impu string, rs *diameter.Resync) (vector, diameter.Result, error) {
	q := &diameter.MAR{RequestHeader: n.header(), UserName: impi, PublicIdentity: impu, ServerName: n.serverName,
		Scheme: diameter.SchemeDigestAKAv1MD5, Items: 1, Resync: rs}
	ans, err := n.cxRequest(ctx, "MAR", q.Build)
	if err != nil {
		return vector{}, diameter.Result{}, err
	}
	a, err := diameter.ParseMAA(ans)
	if err != nil {
		return vector{}, diameter.Result{}, fmt.Errorf("MAA: %w", err)
	}
	if !a.Result.OK() {
		return vector{}, a.Result, nil
	}
	if len(a.Items) == 0 {
		return vector{}, a.Result, fmt.Errorf("MAA for %s: %w", impi, errNoVector)
	}
	it := a.Items[0]
	v := vector{AKAVector: ims.AKAVector{RAND: aka.RAND(it.RAND), AUTN: aka.AUTN(it.AUTN), CK: it.CK, IK: it.IK},
		xres: it.XRES}
	return v, a.Result, nil
}

// serverAssignment sends a SAR; the User-Data comes back parsed when the
// HSS sent it.
func (n *SCSCF) serverAssignment(ctx context.Context, impi string, impus []string, typ uint32) (*diameter.IMSSubscription, diameter.Result, error) {
	q := &diameter.SAR{RequestHeader: n.header(), UserName: impi, PublicIdentities: impus, ServerName: n.serverName,
		AssignmentType: typ, UserDataAvailable: diameter.UserDataNotAvailable}
	ans, err := n.cxRequest(ctx, "SAR", q.Build)
	if err != nil {
		return nil, diameter.Result{}, err
	}
	a, err := diameter.ParseSAA(ans)
	if err != nil {
		return nil, diameter.Result{}, fmt.Errorf("SAA: %w", err)
	}
	if !a.Result.OK() || a.UserData == nil {
		return nil, a.Result, nil
	}
	sub, err := diameter.ParseUserData(a.UserData)
	if err != nil {
		return nil, a.Result, fmt.Errorf("SAA for %s: %w", impi, err)
	}
	return sub, a.Result, nil
}

// locate asks the HSS which S-CSCF serves impu (LIR).
func (n *SCSCF) locate(ctx context.Context, impu string) (string, diameter.Result, error) {
	q := &diameter.LIR{RequestHeader: n.header(), PublicIdentity: impu}
	ans, err := n.cxRequest(ctx, "LIR", q.Build)
	if err != nil {
		return "", diameter.Result{}, err
	}
	a, err := diameter.ParseLIA(ans)
	if err != nil {
		return "", diameter.Result{}, fmt.Errorf("LIA: %w", err)
	}
	return a.ServerName, a.Result, nil
}
