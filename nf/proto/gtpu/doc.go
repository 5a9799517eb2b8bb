// Package gtpu is a userspace GTP-U (3GPP TS 29.281) stack for the UPF and
// the RAN simulators: a header codec that neither allocates nor copies
// (Parse, Header.MarshalTo, Prepend), the few signalling messages of the
// user plane (Echo, Error Indication, End Marker), and an Endpoint that owns
// one UDP socket (port 2152), dispatches G-PDUs by TEID, answers Echo
// Requests and reports tunnel errors.
//
// The kernel's gtp module is never used: everything is UDP sockets. On
// Linux an endpoint reads with recvmmsg(2) and a Batch sends with
// sendmmsg(2) (optionally UDP GSO), without allocating per datagram; an
// endpoint can spread over several SO_REUSEPORT sockets, one read loop
// each (Config.Sockets).
//
// Extension headers are kept as raw slices of the datagram, so a header
// parses and re-encodes to the same bytes; the PDU Session Container
// (TS 38.415) is also decoded into Header.PDUSession because the UPF needs
// its QFI on every packet.
package gtpu
