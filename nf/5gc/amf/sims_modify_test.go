package amf

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/free5gc/openapi/models"

	gnbsim "github.com/corebox/corebox/labs/sim/gnb"
	uesim "github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/labs/simapi"
	"github.com/corebox/corebox/nf/nfkit/nfkittest"
	"github.com/corebox/corebox/nf/proto/n2"
	"github.com/corebox/corebox/nf/proto/sctp"
)

// TestModifyWithGNBSimulator moves a session's uplink through the AMF and
// the lab's gNB simulator: the stand-in SMF's PDU_RES_MOD_REQ reaches the
// gNB as a PDU Session Resource Modify Request, and the gNB's Modify
// Response Transfer (its downlink tunnel) comes back as PDU_RES_MOD_RSP.
func TestModifyWithGNBSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("AMF, AUSF, UDM, UDR and the simulators in-process")
	}
	e := newEnv(t, 1, nil)
	gcfg := gnbsim.DefaultConfig()
	gcfg.Ops.Listen, gcfg.Radio.Listen, gcfg.GTPU.Listen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	gcfg.AMF = gnbsim.AddrList{e.amf.N2Addr().String()}
	gcfg.SCTP = sctp.Config{Mode: sctp.ModeUDP, HeartbeatInterval: time.Second}
	g, err := gnbsim.New(gcfg, nfkitQuiet())
	g = ready(t, "gnb", g, err)
	ecfg := uesim.DefaultConfig()
	ecfg.Ops.Listen, ecfg.Radio.Listen, ecfg.GNB = "127.0.0.1:0", "127.0.0.1:0", g.RadioAddr().String()
	ecfg.DataPlane.Mode, ecfg.UEs.Count = uesim.ModeMemory, 1
	sims, err := uesim.New(ecfg, nfkitQuiet())
	sims = ready(t, "ue", sims, err)
	waitMetric(t, e.amf, "corebox_amf_connected_gnbs", 1)
	stepOK(t, sims, simapi.PathRegister, simapi.RegisterRequest{}, 1)
	stepOK(t, sims, simapi.PathSessions, simapi.SessionRequest{DNN: "internet", SST: 1}, 1)

	var list []simapi.UEState
	code, body := nfkittest.Do(t, "GET", "http://"+sims.Ops().Addr().String()+simapi.PathUEs, "")
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 || len(list[0].Sessions) != 1 {
		t.Fatalf("GET /ues: %d %s", code, body)
	}
	supi, psi := list[0].SUPI, uint8(list[0].Sessions[0])
	var dl n2.GTPTunnel
	nfkittest.Eventually(t, waitFor, "gNB tunnel at the SMF", func() bool {
		_, c := e.smf.context(supi, psi)
		if c != nil && c.dl != nil {
			dl = *c.dl
		}
		return c != nil && c.dl != nil
	})

	res, err := e.smf.moveUplink(t, supi, psi, movedUPF, nil)
	must(t, err)
	if res.Status != http.StatusOK {
		t.Fatalf("N1N2 modify: %+v", res)
	}
	nfkittest.Eventually(t, waitFor, "modify response at the SMF", func() bool {
		_, c := e.smf.context(supi, psi)
		return c != nil && len(c.mods) == 1
	})
	_, c := e.smf.context(supi, psi)
	if typ := c.mods[0].Data.N2SmInfoType; typ != models.Smf_PDUSess_N2SmInfoType_PDU_RES_MOD_RSP {
		t.Fatalf("SMF got %s, want PDU_RES_MOD_RSP", typ)
	}
	rt, err := n2.DecodeModifyResponseTransfer(c.mods[0].N2SM)
	must(t, err)
	if rt.DLTunnel == nil || *rt.DLTunnel != dl {
		t.Errorf("modify response transfer %+v, want DL %+v", rt, dl)
	}
	waitMetric(t, e.amf, `corebox_amf_pdu_session_modifications_total{result="modified"}`, 1)
}
