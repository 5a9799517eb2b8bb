package naseps

import (
	"fmt"
	"net/netip"
	"strings"
)

// APN is an access point name in dotted form ("internet",
// "ims.mnc001.mcc001.gprs"); on the wire it is a sequence of length-prefixed
// labels (TS 23.003 9.1, TS 24.008 10.5.6.1).
type APN string

const maxAPNLen = 100

func (a APN) encode() ([]byte, error) {
	if a == "" {
		return nil, fmt.Errorf("%w: empty APN", errValue)
	}
	out := make([]byte, 0, len(a)+1)
	for _, label := range strings.Split(string(a), ".") {
		if len(label) == 0 || len(label) > 63 {
			return nil, fmt.Errorf("%w: APN %q has a label of %d octets", errValue, a, len(label))
		}
		out = append(out, byte(len(label)))
		out = append(out, label...)
	}
	if len(out) > maxAPNLen {
		return nil, rangeErr("APN octets", len(out), maxAPNLen)
	}
	return out, nil
}

func decodeAPN(b []byte) (APN, error) {
	if len(b) == 0 || len(b) > maxAPNLen {
		return "", fmt.Errorf("APN of %d octets", len(b))
	}
	labels := make([]string, 0, 4)
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || n > 63 || n >= len(b) {
			return "", fmt.Errorf("APN label length %d with %d octets left", n, len(b)-1)
		}
		label := string(b[1 : 1+n])
		if strings.Contains(label, ".") {
			return "", fmt.Errorf("APN label %q contains a dot", label)
		}
		labels = append(labels, label)
		b = b[1+n:]
	}
	return APN(strings.Join(labels, ".")), nil
}

// PDNType is TS 24.301 9.9.4.10 (also the type in a PDN address).
type PDNType uint8

const (
	PDNTypeIPv4   PDNType = 1
	PDNTypeIPv6   PDNType = 2
	PDNTypeIPv4v6 PDNType = 3
	PDNTypeNonIP  PDNType = 5
)

// RequestType is TS 24.301 9.9.4.14 (TS 24.008 10.5.6.17).
type RequestType uint8

const (
	RequestInitial           RequestType = 1
	RequestHandover          RequestType = 2
	RequestEmergency         RequestType = 4
	RequestHandoverEmergency RequestType = 6
)

// PDNAddress is TS 24.301 9.9.4.9: the UE's IPv4 address and/or IPv6
// interface identifier.
type PDNAddress struct {
	Type    PDNType
	IPv4    netip.Addr // for IPv4 and IPv4v6
	IPv6IID [8]byte    // for IPv6 and IPv4v6
}

func (p PDNAddress) encode() ([]byte, error) {
	out := []byte{byte(p.Type)}
	needV4 := p.Type == PDNTypeIPv4 || p.Type == PDNTypeIPv4v6
	if needV4 && !p.IPv4.Is4() {
		return nil, fmt.Errorf("%w: PDN type %d needs an IPv4 address, have %v", errValue, p.Type, p.IPv4)
	}
	switch p.Type {
	case PDNTypeIPv4:
		a := p.IPv4.As4()
		return append(out, a[:]...), nil
	case PDNTypeIPv6:
		return append(out, p.IPv6IID[:]...), nil
	case PDNTypeIPv4v6:
		a := p.IPv4.As4()
		return append(append(out, p.IPv6IID[:]...), a[:]...), nil
	case PDNTypeNonIP:
		return append(out, 0, 0, 0, 0), nil
	}
	return nil, fmt.Errorf("%w: PDN type %d", errValue, p.Type)
}

func decodePDNAddress(b []byte) (PDNAddress, error) {
	p := PDNAddress{Type: PDNType(b[0] & 0x07)}
	want := map[PDNType]int{PDNTypeIPv4: 5, PDNTypeIPv6: 9, PDNTypeIPv4v6: 13, PDNTypeNonIP: 5}[p.Type]
	if want == 0 {
		return p, fmt.Errorf("PDN type %d", p.Type)
	}
	if len(b) != want {
		return p, fmt.Errorf("PDN address of %d octets for PDN type %d, want %d", len(b), p.Type, want)
	}
	switch p.Type {
	case PDNTypeIPv4:
		p.IPv4 = netip.AddrFrom4([4]byte(b[1:5]))
	case PDNTypeIPv6:
		p.IPv6IID = [8]byte(b[1:9])
	case PDNTypeIPv4v6:
		p.IPv6IID = [8]byte(b[1:9])
		p.IPv4 = netip.AddrFrom4([4]byte(b[9:13]))
	}
	return p, nil
}

// Bitrates of EPS QoS and APN-AMBR are in kbit/s. The wire form (TS 24.008
// 10.5.6.5 with the extended octets of TS 24.301 9.9.4.2 and 9.9.4.3) has
// gaps; encoders round down to the nearest value it can carry.

const (
	maxBaseKbps = 8640   // the largest one-octet value
	maxExtKbps  = 256000 // the largest "extended" value
	maxQoSKbps  = 10000000
)

// baseOctet is the one-octet code for k <= 8640 (0 kbit/s is 0xFF).
func baseOctet(k uint64) byte {
	switch {
	case k == 0:
		return 0xFF
	case k <= 63:
		return byte(k)
	case k < 576:
		return byte(64 + (min(k, 568)-64)/8)
	case k <= maxBaseKbps:
		return byte(128 + (k-576)/64)
	}
	return 0xFE
}

func baseKbps(o byte) uint64 {
	v := uint64(o)
	switch {
	case o == 0 || o == 0xFF:
		return 0
	case o <= 63:
		return v
	case o <= 127:
		return 64 + (v-64)*8
	}
	return 576 + (v-128)*64
}

// extOctet is the "extended" code for 8640 < k <= 256000.
func extOctet(k uint64) byte {
	switch {
	case k < 8700:
		return 0 // use the base octet
	case k <= 16000:
		return byte((k - 8600) / 100)
	case k < 17000:
		return 74
	case k <= 128000:
		return byte(74 + (k-16000)/1000)
	case k < 130000:
		return 186
	case k <= maxExtKbps:
		return byte(186 + (k-128000)/2000)
	}
	return 250
}

func extKbps(o byte) uint64 {
	v := uint64(o)
	switch {
	case o <= 74:
		return 8600 + v*100
	case o <= 186:
		return 16000 + (v-74)*1000
	case o <= 250:
		return 128000 + (v-186)*2000
	}
	return maxExtKbps
}

// qosExt2Octet is the EPS QoS "extended-2" code for k > 256000.
func qosExt2Octet(k uint64) byte {
	switch {
	case k < 260000:
		return 0
	case k <= 500000:
		return byte((k - 256000) / 4000)
	case k < 510000:
		return 61
	case k <= 1500000:
		return byte(61 + (k-500000)/10000)
	case k < 1600000:
		return 161
	case k <= maxQoSKbps:
		return byte(161 + (k-1500000)/100000)
	}
	return 246
}

func qosExt2Kbps(o byte) uint64 {
	v := uint64(o)
	switch {
	case o <= 61:
		return 256000 + v*4000
	case o <= 161:
		return 500000 + (v-61)*10000
	case o <= 246:
		return 1500000 + (v-161)*100000
	}
	return maxQoSKbps
}

// qosRate is one EPS QoS bitrate as its three octets.
func qosRate(k uint64) (base, ext, ext2 byte) {
	switch {
	case k <= maxBaseKbps:
		return baseOctet(k), 0, 0
	case k < 260000:
		return 0xFE, extOctet(k), 0
	}
	return 0xFE, 250, qosExt2Octet(k)
}

func qosKbps(base, ext, ext2 byte) uint64 {
	switch {
	case ext2 != 0:
		return qosExt2Kbps(ext2)
	case ext != 0:
		return extKbps(ext)
	}
	return baseKbps(base)
}

// BearerBitrates are the MBR and GBR of a bearer, kbit/s.
type BearerBitrates struct {
	MBRUplink, MBRDownlink, GBRUplink, GBRDownlink uint64
}

// EPSQoS is TS 24.301 9.9.4.3: the QCI and, for GBR bearers, the bitrates.
type EPSQoS struct {
	QCI      uint8
	Bitrates *BearerBitrates
}

func (q EPSQoS) encode() ([]byte, error) {
	out := []byte{q.QCI}
	if q.Bitrates == nil {
		return out, nil
	}
	rates := []uint64{q.Bitrates.MBRUplink, q.Bitrates.MBRDownlink, q.Bitrates.GBRUplink, q.Bitrates.GBRDownlink}
	var base, ext, ext2 [4]byte
	var needExt, needExt2 bool
	for i, k := range rates {
		if k > maxQoSKbps {
			return nil, rangeErr("bitrate kbit/s", int(k), maxQoSKbps)
		}
		base[i], ext[i], ext2[i] = qosRate(k)
		needExt = needExt || ext[i] != 0
		needExt2 = needExt2 || ext2[i] != 0
	}
	out = append(out, base[:]...)
	if needExt || needExt2 {
		out = append(out, ext[:]...)
	}
	if needExt2 {
		out = append(out, ext2[:]...)
	}
	return out, nil
}

func decodeEPSQoS(b []byte) (EPSQoS, error) {
	q := EPSQoS{QCI: b[0]}
	switch len(b) {
	case 1:
		return q, nil
	case 5, 9, 13:
	default:
		return q, fmt.Errorf("EPS QoS of %d octets, want 1, 5, 9 or 13", len(b))
	}
	var ext, ext2 [4]byte
	if len(b) >= 9 {
		ext = [4]byte(b[5:9])
	}
	if len(b) == 13 {
		ext2 = [4]byte(b[9:13])
	}
	var k [4]uint64
	for i := range k {
		k[i] = qosKbps(b[1+i], ext[i], ext2[i])
	}
	q.Bitrates = &BearerBitrates{MBRUplink: k[0], MBRDownlink: k[1], GBRUplink: k[2], GBRDownlink: k[3]}
	return q, nil
}

// AMBR is the APN aggregate maximum bit rate of TS 24.301 9.9.4.2, kbit/s.
type AMBR struct {
	Downlink, Uplink uint64
}

const (
	ambrExt2Step = 256000
	maxAMBRKbps  = 254*ambrExt2Step + maxExtKbps
)

// ambrRate splits k into its octets: extended-2 counts whole 256 Mbit/s,
// the octet and extended octet carry the rest.
func ambrRate(k uint64) (base, ext, ext2 byte) {
	if k > maxExtKbps {
		ext2 = byte(k / ambrExt2Step)
		k %= ambrExt2Step
	}
	if k <= maxBaseKbps {
		return baseOctet(k), 0, ext2
	}
	return 0xFE, extOctet(k), ext2
}

func ambrKbps(base, ext, ext2 byte) uint64 {
	k := baseKbps(base)
	if ext != 0 {
		k = extKbps(ext)
	}
	if ext2 != 0 && ext2 != 0xFF {
		k += uint64(ext2) * ambrExt2Step
	}
	return k
}

func (a AMBR) encode() ([]byte, error) {
	if a.Downlink > maxAMBRKbps || a.Uplink > maxAMBRKbps {
		return nil, fmt.Errorf("%w: APN-AMBR %d/%d kbit/s, max %d", errValue, a.Downlink, a.Uplink, maxAMBRKbps)
	}
	db, de, de2 := ambrRate(a.Downlink)
	ub, ue, ue2 := ambrRate(a.Uplink)
	switch {
	case de2 != 0 || ue2 != 0:
		return []byte{db, ub, de, ue, de2, ue2}, nil
	case de != 0 || ue != 0:
		return []byte{db, ub, de, ue}, nil
	}
	return []byte{db, ub}, nil
}

func decodeAMBR(b []byte) (AMBR, error) {
	if len(b) != 2 && len(b) != 4 && len(b) != 6 {
		return AMBR{}, fmt.Errorf("APN-AMBR of %d octets, want 2, 4 or 6", len(b))
	}
	var o [6]byte
	copy(o[:], b)
	return AMBR{Downlink: ambrKbps(o[0], o[2], o[4]), Uplink: ambrKbps(o[1], o[3], o[5])}, nil
}

// ESM information transfer flag (TS 24.301 9.9.4.5).
const ieiESMInfoTransferFlag = 0xD0
