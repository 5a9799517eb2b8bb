// Package nas5g is corebox's thin layer over github.com/free5gc/nas for the
// 5GS NAS procedures our AMF and our UE simulator run (TS 24.501): typed
// builders and parsers for each message, and the NAS security framing with
// its NAS COUNT handling (TS 24.501 4.4.3, TS 33.501 6.4).
//
// The ciphering and integrity algorithms themselves (128-NEA1/2/3,
// 128-NIA1/2/3) are free5gc's; this package only feeds them the right COUNT,
// BEARER and DIRECTION and frames the result.
//
// Cleartext IEs (TS 24.501 4.4.6) are simplified: BuildRegistrationRequest
// always writes every IE into the message itself. A UE without a security
// context sends it plain, which is what the spec asks for. A UE with a
// context sends the same full message integrity protected instead of the
// cleartext IEs plus a ciphered NAS message container; the AMF accepts both.
// The NASMessageContainer field is carried and parsed for peers that do use
// the container, but nothing here ciphers or unpacks it.
package nas5g
