package gtpgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/corebox/corebox/labs/sim/ue/ippkt"
	"github.com/corebox/corebox/nf/proto/gtpu"
)

// The probe is the start of every generated UDP payload; the rest is
// padding up to the packet size:
//
//	0  magic    2  "GP"
//	2  version  1
//	3  dir      1  probeUL or probeDL
//	4  run      4  run ID: stragglers of an earlier run are not counted
//	8  session  4  session index
//	12 seq      8  per session and direction, from 0
//	20 sent     8  send time, ns of this process's monotonic clock
const (
	probeLen     = 28
	probeMagic   = 0x4750
	probeVersion = 1
	probeUL      = 1
	probeDL      = 2
	ipUDPLen     = ippkt.IPv4HeaderLen + ippkt.UDPHeaderLen
	// gtpHeaderLen is a G-PDU header with one PDU Session Container.
	gtpHeaderLen = gtpu.MandatoryHeaderLen + gtpu.OptionalFieldsLen + 4
)

type probe struct {
	dir     uint8
	run     uint32
	session uint32
	seq     uint64
	sentNS  int64
}

// Reasons a received packet is dropped.
var (
	errNotGPDU  = errors.New("GTP-U message other than a G-PDU")
	errGTPU     = errors.New("malformed GTP-U")
	errInner    = errors.New("inner packet is not IPv4/UDP")
	errProbe    = errors.New("payload is not a gtpgen probe")
	errSession  = errors.New("no such session in this run")
	errMismatch = errors.New("TEID, address, port or direction does not match the session")
	errOtherRun = errors.New("probe of no run in progress")
)

// dropReason labels dropped_packets_total; malformed ones are counted as
// Result.Malformed, the others (well-formed, not ours) as Result.Stray.
type dropReason struct {
	err       error
	label     string
	malformed bool
}

var dropReasons = [...]dropReason{
	{errGTPU, "malformed_gtpu", true},
	{errInner, "malformed_ip", true},
	{errProbe, "malformed_probe", true},
	{errNotGPDU, "not_gpdu", false},
	{errSession, "unknown_session", false},
	{errMismatch, "mismatch", false},
	{errOtherRun, "other_run", false},
	{nil, "other", true},
}

// reasonIndex is the index in dropReasons of err's reason.
func reasonIndex(err error) int {
	for i, r := range dropReasons[:len(dropReasons)-1] {
		if errors.Is(err, r.err) {
			return i
		}
	}
	return len(dropReasons) - 1
}

// putProbe writes p into b[:probeLen].
func putProbe(b []byte, p *probe) {
	binary.BigEndian.PutUint16(b[0:], probeMagic)
	b[2], b[3] = probeVersion, p.dir
	binary.BigEndian.PutUint32(b[4:], p.run)
	binary.BigEndian.PutUint32(b[8:], p.session)
	binary.BigEndian.PutUint64(b[12:], p.seq)
	binary.BigEndian.PutUint64(b[20:], uint64(p.sentNS))
}

// parseProbe reads the probe at the start of a UDP payload.
func parseProbe(b []byte) (probe, error) {
	if len(b) < probeLen || binary.BigEndian.Uint16(b) != probeMagic || b[2] != probeVersion {
		return probe{}, errProbe
	}
	p := probe{dir: b[3], run: binary.BigEndian.Uint32(b[4:]), session: binary.BigEndian.Uint32(b[8:]),
		seq: binary.BigEndian.Uint64(b[12:]), sentNS: int64(binary.BigEndian.Uint64(b[20:]))}
	if p.dir != probeUL && p.dir != probeDL {
		return probe{}, errProbe
	}
	return p, nil
}

// n3Packet is what a downlink G-PDU carried.
type n3Packet struct {
	teid  uint32
	ue    netip.AddrPort // the inner destination
	size  int            // inner IP packet octets
	probe probe
}

// decodeN3 reads a datagram received on N3: a G-PDU carrying IPv4/UDP
// with a probe. h is scratch space, so decoding does not allocate.
func decodeN3(b []byte, h *gtpu.Header) (n3Packet, error) {
	if err := gtpu.Parse(b, h); err != nil {
		return n3Packet{}, fmt.Errorf("%w: %w", errGTPU, err)
	}
	if h.Type != gtpu.MsgGPDU {
		return n3Packet{}, errNotGPDU
	}
	inner := h.Payload(b)
	u, err := ippkt.ParseUDP4(inner)
	if err != nil {
		return n3Packet{}, errInner
	}
	p, err := parseProbe(u.Payload)
	if err != nil {
		return n3Packet{}, err
	}
	return n3Packet{teid: h.TEID, ue: u.Dst, size: len(inner), probe: p}, nil
}
