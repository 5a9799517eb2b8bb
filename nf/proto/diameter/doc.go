// Package diameter is the Diameter layer every corebox Diameter NF shares
// (HSS, MME, PCRF, PGW, CSCFs), on github.com/fiorix/go-diameter/v4.
//
// go-diameter gives the message codec, the dictionaries (base, S6a, Gx,
// Rx; Cx/Dx is ours, dict/cx.xml, loaded at init) and the
// capabilities-exchange state machine (package sm). This
// package adds what an NF needs around them:
//
//   - Peer: one transport connection with request/answer correlation by
//     Hop-by-Hop id, context timeouts, a DWR/DWA watchdog, handlers run
//     concurrently, and malformed messages answered and counted instead
//     of tearing the connection down;
//   - Server: listen, CER/CEA through sm.StateMachine, handler registration
//     per (application, command), peers found by Origin-Host (to send CLR,
//     RAR ...), context-aware shutdown that waits for every goroutine;
//   - Client: dial with retry and backoff, CER/CEA, reconnect;
//   - typed messages of S6a (TS 29.272), Gx (TS 29.212) and Rx (TS 29.214):
//     each has a Build method giving a *diam.Message and a Parse function
//     giving the struct back, with errors naming missing mandatory AVPs;
//   - Decode, which never panics on hostile bytes.
//
// Transport is TCP: go-diameter's SCTP needs the kernel's, which corebox
// hosts may lack.
package diameter
