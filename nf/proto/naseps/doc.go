// Package naseps is corebox's codec for EPS NAS (TS 24.301), the protocol
// between a UE and the MME, used by our MME and by the lab's UE simulator.
// free5gc/nas covers only 5GS, so the encoding here is our own, on the
// plain V/LV/LV-E/TV/TLV/TLV-E formats of TS 24.007 11.2 and the IEs of
// TS 24.301 9.9 and TS 24.008 10.5.
//
// Messages are typed structs with Marshal; Parse (or ParseAs) decodes a
// plain message of either protocol: EMM (attach, authentication, security
// mode, identity, detach, tracking area update, service request/reject,
// EMM information and status) and ESM (PDN connectivity and disconnect,
// default and dedicated bearer activation, bearer deactivation, ESM
// information, ESM status). ESM messages embed ESMHeader for the EPS bearer
// identity and PTI. ESM message containers inside EMM messages are kept as
// octets: marshal the ESM message into them, Parse what comes out.
//
// Decoding is strict about what it reads and lenient about what it may
// skip: every mandatory IE, and every optional IE it understands, is
// checked for length and value, and a failure is a *DecodeError naming the
// message and IE (matching ErrMalformed). Optional IEs it does not know are
// skipped after the format rules of TS 24.007 11.2.4, and repeated ones
// keep their first occurrence. What decodes re-encodes to an equal value.
//
// SecurityContext frames protected PDUs (security header types 1-4): NAS
// COUNT tracking with overflow, replay detection, 128-EIA1/2/3 and
// 128-EEA1/2/3 with BEARER 0 from free5gc/nas's implementation of the
// identical 5G algorithms, and EIA0/EEA0 only when AllowNull is set. It
// also builds and checks the short MAC of the SERVICE REQUEST.
// NewSecurityContext derives the NAS keys from KASME with nf/aka.
package naseps
