// Package gtpv2c is corebox's GTPv2-C transport (3GPP TS 29.274 §7.6,
// UDP port 2123) for the SGW, the PGW and the MME: a Conn owns one UDP
// socket, numbers and retransmits our requests (T3/N3), matches responses
// to them, answers retransmitted requests from a cache of the responses we
// sent instead of running them twice, answers Echo Requests, and drops,
// counts and logs whatever is malformed.
//
// Messages and information elements are github.com/wmnsk/go-gtp/gtpv2's;
// this package adds the header checks go-gtp leaves out, a decoder that
// never panics, and the few IE helpers every EPC NF needs (F-TEID with
// netip addresses, causes, bearer context lookups, PCO containers).
package gtpv2c
