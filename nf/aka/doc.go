// Package aka is the 5G and EPS authentication crypto shared by the
// network (UDM/ARPF, AUSF, AMF/SEAF, HSS, MME) and the UE simulator's USIM.
// EPS-AKA (TS 33.401 Annex A: KASME, NAS keys, KeNB, NH; GenerateEPSVector,
// USIM.AuthenticateEPS) is in eps.go.
//
//   - Milenage (TS 35.206): OPc, f1, f1*, f2, f3, f4, f5, f5*.
//   - Network side: GenerateVector builds a 5G HE AV (RAND, AUTN, XRES*,
//     HXRES*, KAUSF); VerifyAUTS recovers SQNms on resynchronisation.
//   - UE side: USIM.Authenticate checks MAC-A and SQN freshness (TS 33.102
//     Annex C, 5-bit IND) and yields RES*, KAUSF, KSEAF and KAMF, or a typed
//     error that maps to 5GMM cause #20, #21 or #26 (see CauseOf).
//   - Key derivations of TS 33.501 Annex A on the generic KDF of TS 33.220
//     B.2 (free5gc/util ueauth): KAUSF, RES*, HXRES*, KSEAF, KAMF, NAS
//     algorithm keys, KgNB.
//   - SUCI (TS 23.003, TS 33.501 Annex C): parse/format, conceal and
//     de-conceal for the null scheme and ECIES profiles A and B.
//
// Everything here is pure computation: no I/O, no logging, no globals. A
// *Milenage and a *USIM are safe for concurrent use.
package aka
