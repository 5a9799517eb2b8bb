package nssf

import (
	"net/http"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// ServiceName is the SBI service the NSSF serves.
const ServiceName = "nnssf-nsselection"

// PathSliceInformation is the network slice information resource
// (TS 29.531 §6.1.3.2).
const PathSliceInformation = "/nnssf-nsselection/v2/network-slice-information"

// CauseSnssaiNotSupported (403): the PDU session's S-NSSAI is not
// supported in this PLMN (TS 29.531 §6.1.7.3).
const CauseSnssaiNotSupported = "SNSSAI_NOT_SUPPORTED"

func (n *NF) routes() http.Handler {
	mux := http.NewServeMux()
	sel := n.gate.WrapOnRefuse(http.HandlerFunc(n.selectSlices), func() { n.metrics.count(kindUnknown, resultRefused) })
	mux.Handle("GET "+PathSliceInformation, n.metrics.sbi.Wrap(ServiceName, sel))
	mux.Handle("/", n.metrics.sbi.Wrap("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sbi.WriteProblem(w, http.StatusNotFound, sbi.CauseResourceURIStructure, "no resource "+r.URL.Path)
	})))
	return mux
}

func (n *NF) selectSlices(w http.ResponseWriter, r *http.Request) {
	s, pe := parseQuery(r.URL.Query())
	if pe != nil {
		n.metrics.count(s.kind, resultBadRequest)
		sbi.Malformed(r, pe)
		sbi.WriteProblemDetails(w, pe.Problem)
		return
	}
	if s.kind == kindPDUSession {
		info, ok := n.supported.forPDUSession(s.pdu)
		if !ok {
			n.metrics.count(s.kind, resultNotSupported)
			n.log.Info("pdu session slice not supported", "nf_type", s.nfType, "sst", s.pdu.SNssai.Sst, "sd", s.pdu.SNssai.Sd)
			sbi.WriteProblem(w, http.StatusForbidden, CauseSnssaiNotSupported, "S-NSSAI not supported in this PLMN")
			return
		}
		n.metrics.count(s.kind, resultSupported)
		sbi.WriteJSON(w, http.StatusOK, info)
		return
	}
	info, result := n.supported.forRegistration(s.nssai)
	n.metrics.count(s.kind, result)
	n.log.Debug("slice selection", "request", s.kind, "nf_type", s.nfType, "result", result,
		"requested", len(s.nssai.requested), "rejected", len(info.RejectedNssaiInPlmn))
	sbi.WriteJSON(w, http.StatusOK, info)
}
