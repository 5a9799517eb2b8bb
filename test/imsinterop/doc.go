// Package imsinterop proves that our IMS (P-CSCF, I-CSCF, S-CSCF, HSS on
// a UDR) interworks with SIPp, a SIP stack we did not write, and measures
// the call rate it sustains next to Kamailio. Everything lives in the
// tests; see README.md.
package imsinterop
