// Package rtp is the voice media of the VoLTE UE simulator: G.711 µ-law
// (PCMU) RTP packets sent every 20 ms, and the receive-side measurements a
// call reports (RFC 3550 sequence tracking and interarrival jitter, and a
// MOS estimate from the ITU-T G.107 E-model).
//
// It is a traffic source and meter, not a softphone: the payload is a
// synthetic tone and nothing is played out.
package rtp
