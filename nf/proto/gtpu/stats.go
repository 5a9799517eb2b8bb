package gtpu

import "sync/atomic"

// Stats are an Endpoint's counters. They only grow; an NF exports them as
// Prometheus counters. RxPackets, RxBytes and RxGPDU are added once per
// received batch, after its datagrams were handled; the others as they
// happen.
type Stats struct {
	RxPackets atomic.Uint64 // datagrams received, well-formed or not
	RxBytes   atomic.Uint64
	TxPackets atomic.Uint64 // datagrams sent
	TxBytes   atomic.Uint64
	TxErrors  atomic.Uint64 // sends the socket refused
	RxErrors  atomic.Uint64 // socket read errors other than close

	RxGPDU            atomic.Uint64 // G-PDUs handed to a tunnel handler
	UnknownTEID       atomic.Uint64 // G-PDUs for a TEID without handler
	RxEchoRequest     atomic.Uint64
	RxEchoResponse    atomic.Uint64
	RxErrorIndication atomic.Uint64
	RxEndMarker       atomic.Uint64
	RxOtherType       atomic.Uint64 // well-formed messages of other types, ignored
	UnmatchedEcho     atomic.Uint64 // echo responses nobody waited for

	ErrorIndicationSent       atomic.Uint64
	ErrorIndicationSuppressed atomic.Uint64 // over the rate limit

	malformed [numParseErrors]atomic.Uint64
}

// Malformed counts datagrams dropped for one kind of parse error.
func (s *Stats) Malformed(kind ParseError) uint64 {
	if kind >= numParseErrors {
		return 0
	}
	return s.malformed[kind].Load()
}

// MalformedTotal counts all dropped malformed datagrams.
func (s *Stats) MalformedTotal() uint64 {
	var n uint64
	for i := range s.malformed {
		n += s.malformed[i].Load()
	}
	return n
}

func (s *Stats) countMalformed(err error) {
	kind, ok := err.(ParseError)
	if !ok || kind >= numParseErrors {
		kind = 0 // slot 0 holds kinds we do not know
	}
	s.malformed[kind].Add(1)
}
