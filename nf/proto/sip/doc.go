// Package sip is corebox's SIP layer for the IMS: what emiago/sipgo (which
// carries messages, transactions and transports) lacks.
//
//   - Digest AKAv1-MD5 (RFC 3310, TS 33.203, TS 24.229): the S-CSCF's
//     challenge (nonce = base64(RAND||AUTN), ck/ik for the P-CSCF), its
//     verification with XRES as the password, resynchronisation (auts), and
//     the UE side that runs the USIM of nf/aka.
//   - The IMS P-headers and friends as small typed values with Parse and
//     String: P-Asserted-Identity, P-Preferred-Identity, Path,
//     Service-Route, P-Access-Network-Info, P-Charging-Vector,
//     P-Visited-Network-ID, Security-Client/Server/Verify (parse only: IPsec
//     sec-agree itself is out of scope), Feature-Caps and the Contact feature
//     tags +sip.instance and +g.3gpp.icsi-ref.
//   - The reg event package (RFC 3680): application/reginfo+xml.
//   - SDP (RFC 4566) parsing and building, and the Rx media components the
//     P-CSCF derives from an offer/answer (TS 29.214 Annex B).
//   - Endpoint: a sipgo UA, server and client bound to one address (UDP or
//     TCP), since our NFs bind per interface.
//
// Parsers never panic on malformed input; they return errors wrapping
// ErrMalformed.
package sip
