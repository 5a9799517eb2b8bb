// Package n2 is corebox's thin NGAP (TS 38.413) layer over
// github.com/free5gc/ngap for the procedures our AMF and gNB simulator
// run: typed builders and parsers per message, the separately encoded
// transfer IEs, and Classify, which tells an AMF what a PDU is and which UE
// it belongs to without decoding it by hand.
//
// Every decoder here turns malformed input into an error: free5gc's APER
// decoder can panic on garbage, so each call into it is guarded and the
// panics are counted (DecoderPanics). free5gc also does not insist on
// mandatory IEs when decoding; the typed parsers do.
//
// SCTP specifics (PPID 60, port 38412) live in nf/proto/sctp.
package n2
