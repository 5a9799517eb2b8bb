// Package nfsbi is what every 5GC NF's SBI side shares:
//
//   - Gate: counts in-flight requests (what a drain waits for) and, once
//     draining, answers new work 503 NF_SERVICE_FAILOVER (TS 29.500) so the
//     consumer picks another instance.
//   - NRFConfig, CheckURI, AdvertiseURI, RequestRoot: the "nrf:" and
//     "advertise_uri" config of an NF, the address peers are told to dial
//     and the apiRoot it puts in Location headers.
//   - NFProfile, APIVersion: the profile an NF registers, each service with
//     the API version its spec gives it.
//   - KeepRegistered: registration, heartbeats, SUSPENDED once draining,
//     deregistration at the end; Ready is the readiness that goes with it.
//   - Locator: a peer's apiRoot, fixed or discovered through the NRF, with
//     one forget-and-retry when a discovered peer fails (Call, Do).
package nfsbi
