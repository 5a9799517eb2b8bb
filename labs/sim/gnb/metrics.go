package gnb

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebox/corebox/labs/sim/radio"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/n2"
)

// metrics are the gNB's counters; label values come from fixed sets.
type metrics struct {
	ngap          *prometheus.CounterVec // direction, message
	radioMsgs     *prometheus.CounterVec // direction, type
	malformed     *prometheus.CounterVec // source
	dropped       *prometheus.CounterVec // reason
	errorInds     *prometheus.CounterVec // direction, protocol
	modifications *prometheus.CounterVec // result
	ulPackets     prometheus.Counter
	ulBytes       prometheus.Counter
	dlPackets     prometheus.Counter
	dlBytes       prometheus.Counter
	setupFailure  prometheus.Counter
}

// Drop reasons.
const (
	dropUnknownUE = "unknown_ue"
	dropNoSession = "no_session"
	dropNoAMF     = "no_amf"
	dropFull      = "full"
	dropDraining  = "draining"
	dropSendError = "send_error"
)

var ngapNames = map[int64]string{
	n2.ProcNGSetup: "ng_setup", n2.ProcInitialUEMessage: "initial_ue_message",
	n2.ProcDownlinkNASTransport: "downlink_nas_transport", n2.ProcUplinkNASTransport: "uplink_nas_transport",
	n2.ProcInitialContextSetup: "initial_context_setup", n2.ProcPDUSessionResourceSetup: "pdu_session_resource_setup",
	n2.ProcPDUSessionResourceRelease: "pdu_session_resource_release", n2.ProcUEContextRelease: "ue_context_release",
	n2.ProcUEContextReleaseRequest: "ue_context_release_request", n2.ProcPaging: "paging",
	n2.ProcErrorIndication: "error_indication", n2.ProcPDUSessionResourceModify: "pdu_session_resource_modify",
}

func ngapName(proc int64) string {
	if n, ok := ngapNames[proc]; ok {
		return n
	}
	return "other"
}

func newMetrics(reg prometheus.Registerer, n *NF) (*metrics, error) {
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "corebox_gnb_" + name, Help: help}, labels)
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "corebox_gnb_" + name, Help: help})
	}
	m := &metrics{
		ngap:      vec("ngap_messages_total", "NGAP messages sent (tx) and received (rx), by procedure.", "direction", "message"),
		radioMsgs: vec("radio_messages_total", "Radio messages sent (tx) and received (rx), by type.", "direction", "type"),
		malformed: vec("malformed_total", "Inputs dropped as malformed, by source (radio, ngap, gtpu).", "source"),
		dropped:   vec("dropped_total", "Well-formed inputs dropped, by reason.", "reason"),
		errorInds: vec("error_indications_total", "Error Indications sent (tx) and received (rx).", "direction", "protocol"),
		modifications: vec("pdu_session_modifications_total",
			"PDU sessions in PDU Session Resource Modify Requests, by result (modified, failed).", "result"),
		ulPackets:    counter("uplink_packets_total", "User-plane packets from UEs sent on N3."),
		ulBytes:      counter("uplink_bytes_total", "IP bytes of those packets."),
		dlPackets:    counter("downlink_packets_total", "User-plane packets from N3 sent to UEs."),
		dlBytes:      counter("downlink_bytes_total", "IP bytes of those packets."),
		setupFailure: counter("ng_setup_failures_total", "NG Setups refused or unanswered."),
	}
	for _, r := range []string{modModified, modFailed} {
		m.modifications.WithLabelValues(r)
	}
	for _, s := range []string{"radio", "ngap"} {
		m.malformed.WithLabelValues(s)
	}
	for _, r := range []string{dropUnknownUE, dropNoSession, dropNoAMF, dropFull, dropDraining, dropSendError} {
		m.dropped.WithLabelValues(r)
	}
	for _, d := range []string{"rx", "tx"} {
		for _, p := range []string{"ngap", "gtpu"} {
			m.errorInds.WithLabelValues(d, p)
		}
		for t := radio.Connect; t <= radio.SessionReady; t++ {
			m.radioMsgs.WithLabelValues(d, t.String())
		}
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "corebox_gnb_" + name, Help: help}, f)
	}
	counterFunc := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "corebox_gnb_" + name, Help: help}, f)
	}
	err := nfkit.Register(reg, m.ngap, m.radioMsgs, m.malformed, m.dropped, m.errorInds, m.modifications,
		m.ulPackets, m.ulBytes, m.dlPackets, m.dlBytes, m.setupFailure,
		gauge("connected_ues", "UE contexts held (RRC connected).", func() float64 { u, _ := n.ues.counts(); return float64(u) }),
		gauge("sessions", "PDU sessions with an active user plane.", func() float64 { _, s := n.ues.counts(); return float64(s) }),
		gauge("amf_associations", "AMFs with an association and a successful NG Setup.", func() float64 { return float64(n.amfsUp()) }),
		counterFunc("gtpu_malformed_total", "N3 datagrams dropped as malformed GTP-U.", func() float64 { return float64(n.gtpuMalformed()) }),
		counterFunc("gtpu_unknown_teid_total", "G-PDUs for a TEID we do not hold.", func() float64 { return float64(n.gtpuUnknownTEID()) }),
		counterFunc("ngap_decoder_panics_total", "NGAP inputs that made the APER decoder panic (contained).", func() float64 { return float64(n2.DecoderPanics()) }),
	)
	return m, err
}
