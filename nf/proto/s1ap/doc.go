// Package s1ap is corebox's S1AP (TS 36.413) layer for the procedures our
// MME and eNB simulator run: S1 Setup, NAS transport, Initial Context
// Setup, E-RAB Setup and Release, UE Context Release, Error Indication and
// Paging. Each message is a typed struct with Encode and a Parse function;
// Decode gives any of them, and Classify tells an MME what a PDU is and
// which UE it belongs to without decoding the rest.
//
// No served Go module implements S1AP, so the IEs are written here on the
// aligned-PER codec of github.com/free5gc/ngap/aper, one small reader and
// writer method per ASN.1 type (TS 36.413 9.3, Rel-17 definitions).
// Decoders skip IE extensions, extension additions and IEs they do not
// know, and turn malformed input into errors: the codec can panic on
// garbage, so every decode runs under a recover that counts the panics
// (DecoderPanics).
//
// S1AP rides SCTP with PPID 18 on port 36412 (SCTPPPID, SCTPPort), carried
// by nf/proto/sctp.
package s1ap
