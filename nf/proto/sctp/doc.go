// Package sctp is the one SCTP interface corebox NFs and simulators use
// for N2 (NGAP, PPID 60, port 38412) and S1-MME (S1AP, PPID 18, port 36412).
//
// Two transports sit behind the same Listener and Conn:
//
//   - kernel: the kernel's SCTP through github.com/ishidawataru/sctp, for
//     machines that have it and for talking to real gNBs/eNBs;
//   - udp: userspace SCTP (github.com/pion/sctp) carried in UDP, for
//     machines whose kernel has no SCTP, like the development box.
//
// Mode "auto" (the default) picks kernel when socket(AF_INET, SOCK_STREAM,
// IPPROTO_SCTP) works and udp otherwise (Detect, Transport). Both ends of
// an association must use the same transport; the first use of each is
// logged once per process ("sctp transport" mode=... reason=...).
//
// A Conn is one association. Messages keep their boundaries; all streams
// are merged into one read side and Info says which stream and PPID a
// message came on (NGAP: stream 0 for non-UE signalling, others for
// UE-associated). Association loss is an error from ReadMsg: io.EOF after
// a graceful shutdown, ErrAborted, ErrAssociationLost.
//
// # Userspace mode
//
// A listener serves every peer from one UDP socket. Datagrams are sorted
// by source address; a lone, checksummed INIT from a new address starts a
// pion server association, surfaced by Accept once the handshake
// completes. Handshakes are bounded in number and time, so a forged INIT
// leaves nothing behind. Anything else from an unknown address is dropped
// and counted (ListenerStats): garbage as Malformed; well-formed SCTP as
// OutOfTheBlue, answered as RFC 9260 section 8.4 says (a T-bit ABORT, or
// SHUTDOWN COMPLETE for a SHUTDOWN ACK), so a peer that outlived a
// restarted listener learns at once. A peer entry goes when its
// association ends. pion never gives up retransmitting, so each
// association sends HEARTBEATs when idle and declares itself lost after
// three silent Config.HeartbeatInterval periods. The HEARTBEATs are ours:
// pion v1.12.1 sends its own without the mandatory Heartbeat Info (peers
// ignore them; we do not send them) and cannot parse HEARTBEAT ACK (we
// consume those before pion sees them).
//
// pion negotiates no I-DATA here (interleaving off), so the chunks on the
// wire are the classic DATA chunks kernel SCTP sends. Limits: messages up
// to MaxMessageSize; packets of at most 1191 bytes (pion's MTU; no path
// MTU discovery); pion's accept queue holds 16 new streams, which a peer
// opening many streams in one burst could overrun before they are picked
// up. A peer restarting from the same address and port is seen by pion as
// an association restart, not as a new association.
//
// # On the wire, and Wireshark
//
// pion writes plain SCTP packets (RFC 9260 common header: ports,
// verification tag, CRC32c; then chunks) as the whole UDP payload, as in
// RFC 6951 encapsulation, with SCTP ports 5000/5000 (pion's fixed ports).
// The tests check this: the first datagram of a Dial parses as an INIT
// with a valid checksum, and a capture of a whole association is decoded
// by tshark. On a port other than 9899 Wireshark must be told:
//
//	tshark -d udp.port==38412,sctp -r n2.pcap
//
// NGAP and S1AP are then found by PPID (60, 18), whatever the SCTP ports.
//
// # Kernel mode
//
// One-to-one SCTP sockets, 256 streams each way, INIT retried 4 times.
// ishidawataru/sctp uses blocking syscalls: the accept loop polls so that
// Close stops it, and a Dial abandoned by its context completes in the
// background and is closed. ReadMsg needs a buffer of MaxMessageSize: the
// kernel hands a larger message over in pieces. Heartbeats are the
// kernel's (net.sctp.hb_interval).
package sctp
