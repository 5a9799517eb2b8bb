package mmetest_test

import (
	"context"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/epc/mme/mmetest"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/s1ap"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// A Core comes up ready and its MME answers S1 Setup.
func TestStartCore(t *testing.T) {
	c := mmetest.StartCore(t, []udr.Provision{{IMSI: "001010000000001",
		K: "465b5ce8b199b49faa5f0a2ee238a6bc", OPc: "cd63cb71954a9f4e48a5994e37a02baf"}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := sctp.Dial(ctx, sctp.Config{Mode: sctp.ModeUDP}, "127.0.0.1:0", c.MME.S1Addr().String(), nfkittest.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	plmn := s1ap.PLMN{MCC: "001", MNC: "01"}
	req, err := (&s1ap.S1SetupRequest{GlobalENBID: s1ap.GlobalENBID{PLMN: plmn, ID: 1},
		SupportedTAs: []s1ap.SupportedTA{{TAC: 1, PLMNs: []s1ap.PLMN{plmn}}}}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteMsg(req, sctp.Info{PPID: sctp.PPIDS1AP}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, sctp.MaxMessageSize)
	n, _, err := conn.ReadMsg(buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1ap.ParseS1SetupResponse(buf[:n]); err != nil {
		t.Fatalf("S1 Setup: %v", err)
	}
	if !c.ENBAddr(0).IsValid() || c.ENBAddr(0).Port() != c.GTPUPort {
		t.Errorf("eNB address %v", c.ENBAddr(0))
	}
}
