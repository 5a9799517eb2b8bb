package sip

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Codec is an RTP payload format the UE simulator offers.
type Codec struct {
	Payload   int
	Encoding  string
	ClockRate int
}

// G.711 codecs (static payload types, RFC 3551).
var (
	CodecPCMU = Codec{Payload: 0, Encoding: "PCMU", ClockRate: 8000}
	CodecPCMA = Codec{Payload: 8, Encoding: "PCMA", ClockRate: 8000}
)

// g711ASKbps is b=AS for 64 kbit/s G.711 with RTP/UDP/IP overhead at 20 ms.
const g711ASKbps = 80

// NewAudioOffer builds a one-stream audio offer from addr:port.
func NewAudioOffer(sessionID uint64, addr netip.Addr, port int, codecs ...Codec) (*SDP, error) {
	if len(codecs) == 0 {
		return nil, fmt.Errorf("audio offer: no codecs")
	}
	if port <= 0 || port > 65534 {
		return nil, fmt.Errorf("audio offer: port %d", port)
	}
	ipv := "IP4"
	if addr.Is6() && !addr.Is4In6() {
		ipv = "IP6"
	}
	conn := "IN " + ipv + " " + addr.String()
	m := Media{Type: "audio", Port: port, Proto: "RTP/AVP", Bandwidths: []Bandwidth{{"AS", g711ASKbps}}}
	for _, c := range codecs {
		m.Formats = append(m.Formats, strconv.Itoa(c.Payload))
		m.Attributes = append(m.Attributes, Attribute{"rtpmap", fmt.Sprintf("%d %s/%d", c.Payload, c.Encoding, c.ClockRate)})
	}
	m.Attributes = append(m.Attributes, Attribute{"ptime", "20"}, Attribute{Name: "sendrecv"})
	id := strconv.FormatUint(sessionID, 10)
	return &SDP{
		Origin: "corebox " + id + " " + id + " " + conn, Name: "-",
		Connection: conn, Timing: "0 0", Media: []Media{m},
	}, nil
}

// NewAudioAnswer answers offer's first audio stream with the first offered
// codec we support (PCMU or PCMA), from addr:port.
func NewAudioAnswer(offer *SDP, sessionID uint64, addr netip.Addr, port int) (*SDP, error) {
	if len(offer.Media) == 0 || offer.Media[0].Type != "audio" {
		return nil, fmt.Errorf("audio answer: offer has no leading audio stream")
	}
	for _, f := range offer.Media[0].Formats {
		for _, c := range []Codec{CodecPCMU, CodecPCMA} {
			if f == strconv.Itoa(c.Payload) {
				return NewAudioOffer(sessionID, addr, port, c)
			}
		}
	}
	return nil, fmt.Errorf("audio answer: no common codec in %v", offer.Media[0].Formats)
}
