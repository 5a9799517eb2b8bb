package enb

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

// metrics are the eNB's counters; label values come from fixed sets.
type metrics struct {
	s1ap         *prometheus.CounterVec // direction, message
	radioMsgs    *prometheus.CounterVec // direction, type
	malformed    *prometheus.CounterVec // source
	dropped      *prometheus.CounterVec // reason
	errorInds    *prometheus.CounterVec // direction, protocol
	ulPackets    prometheus.Counter
	ulBytes      prometheus.Counter
	dlPackets    prometheus.Counter
	dlBytes      prometheus.Counter
	setupFailure prometheus.Counter
	// radioRx and radioTx are radioMsgs' counters by type, looked up once:
	// the user plane counts every packet.
	radioRx, radioTx [radio.SessionReady + 1]prometheus.Counter
}

// radioCounted counts a radio message of a known type.
func (m *metrics) radioCounted(tx bool, t radio.Type) {
	if int(t) >= len(m.radioRx) || m.radioRx[t] == nil {
		return // radio.Decode and radio.Append pass known types only
	}
	if tx {
		m.radioTx[t].Inc()
		return
	}
	m.radioRx[t].Inc()
}

// Drop reasons.
const (
	dropUnknownUE  = "unknown_ue"
	dropNoERAB     = "no_erab"
	dropNoMME      = "no_mme"
	dropFull       = "full"
	dropDraining   = "draining"
	dropSendError  = "send_error"
	dropEmpty      = "empty_packet"
	dropOtherTA    = "other_ta"
	dropIMSIPaging = "imsi_paging"
)

var dropReasons = []string{dropUnknownUE, dropNoERAB, dropNoMME, dropFull, dropDraining, dropSendError,
	dropEmpty, dropOtherTA, dropIMSIPaging}

// Sources of malformed input, and protocols of Error Indications.
const (
	srcRadio  = "radio"
	srcS1AP   = "s1ap"
	protoS1AP = "s1ap"
	protoGTPU = "gtpu"
)

var s1apNames = map[s1ap.ProcedureCode]string{
	s1ap.ProcS1Setup: "s1_setup", s1ap.ProcInitialUEMessage: "initial_ue_message",
	s1ap.ProcDownlinkNASTransport: "downlink_nas_transport", s1ap.ProcUplinkNASTransport: "uplink_nas_transport",
	s1ap.ProcInitialContextSetup: "initial_context_setup", s1ap.ProcERABSetup: "erab_setup",
	s1ap.ProcERABRelease: "erab_release", s1ap.ProcUEContextRelease: "ue_context_release",
	s1ap.ProcUEContextReleaseRequest: "ue_context_release_request", s1ap.ProcPaging: "paging",
	s1ap.ProcErrorIndication: "error_indication",
}

func s1apName(proc s1ap.ProcedureCode) string {
	if n, ok := s1apNames[proc]; ok {
		return n
	}
	return "other"
}

func newMetrics(reg prometheus.Registerer, n *ENB) (*metrics, error) {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_enb_" + name, Help: help}, labels)
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_enb_" + name, Help: help})
	}
	m := &metrics{
		s1ap:         vec("s1ap_messages_total", "S1AP messages sent (tx) and received (rx), by procedure.", "direction", "message"),
		radioMsgs:    vec("radio_messages_total", "Radio messages sent (tx) and received (rx), by type.", "direction", "type"),
		malformed:    vec("malformed_total", "Inputs dropped as malformed, by source (radio, s1ap).", "source"),
		dropped:      vec("dropped_total", "Well-formed inputs dropped, by reason.", "reason"),
		errorInds:    vec("error_indications_total", "Error Indications sent (tx) and received (rx).", "direction", "protocol"),
		ulPackets:    counter("uplink_packets_total", "User-plane packets from UEs sent on S1-U."),
		ulBytes:      counter("uplink_bytes_total", "IP bytes of those packets."),
		dlPackets:    counter("downlink_packets_total", "User-plane packets from S1-U sent to UEs."),
		dlBytes:      counter("downlink_bytes_total", "IP bytes of those packets."),
		setupFailure: counter("s1_setup_failures_total", "S1 Setups refused or unanswered."),
	}
	for _, s := range []string{srcRadio, srcS1AP} {
		m.malformed.WithLabelValues(s)
	}
	for _, r := range dropReasons {
		m.dropped.WithLabelValues(r)
	}
	for _, d := range []string{"rx", "tx"} {
		for _, p := range []string{protoS1AP, protoGTPU} {
			m.errorInds.WithLabelValues(d, p)
		}
	}
	for t := radio.Connect; t <= radio.SessionReady; t++ {
		m.radioRx[t] = m.radioMsgs.WithLabelValues("rx", t.String())
		m.radioTx[t] = m.radioMsgs.WithLabelValues("tx", t.String())
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_enb_" + name, Help: help}, f)
	}
	counterFunc := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "corebox_enb_" + name, Help: help}, f)
	}
	err := nfkit.Register(reg, m.s1ap, m.radioMsgs, m.malformed, m.dropped, m.errorInds,
		m.ulPackets, m.ulBytes, m.dlPackets, m.dlBytes, m.setupFailure,
		gauge("connected_ues", "UE contexts held (RRC connected).", func() float64 { return float64(n.ConnectedUEs()) }),
		gauge("erabs", "E-RABs with an active user plane.", func() float64 { return float64(n.ERABs()) }),
		gauge("mme_associations", "MMEs with an association and a successful S1 Setup.", func() float64 { return float64(n.mmesUp()) }),
		counterFunc("gtpu_malformed_total", "S1-U datagrams dropped as malformed GTP-U.", func() float64 { return float64(n.gtpuMalformed()) }),
		counterFunc("gtpu_unknown_teid_total", "G-PDUs for a TEID we do not hold.", func() float64 { return float64(n.gtpuUnknownTEID()) }),
		counterFunc("s1ap_decoder_panics_total", "S1AP inputs that made the APER decoder panic (contained).", func() float64 { return float64(s1ap.DecoderPanics()) }),
	)
	return m, err
}
