package sip

import (
	"fmt"
	"strconv"
	"strings"
)

// SDP is a session description (RFC 4566), kept close to the wire so
// String re-emits what Parse read.
type SDP struct {
	Origin     string // o= value
	Name       string // s= value
	Connection string // session c= value, e.g. "IN IP4 192.0.2.1"
	Bandwidths []Bandwidth
	Timing     string // t= value
	Attributes []Attribute
	Media      []Media
}

// Media is one m= section.
type Media struct {
	Type       string // audio, video, ...
	Port       int
	NumPorts   int // 0 when absent
	Proto      string
	Formats    []string
	Connection string
	Bandwidths []Bandwidth
	Attributes []Attribute
}

// Bandwidth is b=<type>:<value>.
type Bandwidth struct {
	Type  string // AS (kbit/s), TIAS (bit/s), RS, RR
	Value uint64
}

// Attribute is a=<name>[:<value>].
type Attribute struct {
	Name, Value string
}

func (a Attribute) String() string {
	if a.Value == "" {
		return a.Name
	}
	return a.Name + ":" + a.Value
}

// ParseSDP reads a session description (CRLF or LF line ends).
func ParseSDP(b []byte) (*SDP, error) {
	s := &SDP{}
	var cur *Media
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	seenV := false
	for i, line := range lines {
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' {
			return nil, fmt.Errorf("sdp line %d: %w", i+1, malformed("sdp", fmt.Sprintf("%q", line)))
		}
		if err := s.parseLine(line[0], line[2:], &cur, &seenV); err != nil {
			return nil, fmt.Errorf("sdp line %d: %w", i+1, err)
		}
	}
	if !seenV {
		return nil, malformed("sdp", "no v= line")
	}
	return s, nil
}

func (s *SDP) parseLine(kind byte, v string, cur **Media, seenV *bool) error {
	switch kind {
	case 'v':
		if v != "0" {
			return malformed("sdp", "version "+v)
		}
		*seenV = true
	case 'o':
		s.Origin = v
	case 's':
		s.Name = v
	case 't':
		s.Timing = v
	case 'c':
		if len(strings.Fields(v)) != 3 {
			return malformed("sdp c=", v)
		}
		if *cur != nil {
			(*cur).Connection = v
		} else {
			s.Connection = v
		}
	case 'b':
		bw, err := parseBandwidth(v)
		if err != nil {
			return err
		}
		if *cur != nil {
			(*cur).Bandwidths = append((*cur).Bandwidths, bw)
		} else {
			s.Bandwidths = append(s.Bandwidths, bw)
		}
	case 'a':
		name, val, _ := strings.Cut(v, ":")
		if name == "" {
			return malformed("sdp a=", v)
		}
		if *cur != nil {
			(*cur).Attributes = append((*cur).Attributes, Attribute{name, val})
		} else {
			s.Attributes = append(s.Attributes, Attribute{name, val})
		}
	case 'm':
		m, err := parseMediaLine(v)
		if err != nil {
			return err
		}
		s.Media = append(s.Media, m)
		*cur = &s.Media[len(s.Media)-1]
	default:
		// i=, u=, e=, p=, z=, k=, r= are not needed by the IMS here.
	}
	return nil
}

func parseBandwidth(v string) (Bandwidth, error) {
	t, val, ok := strings.Cut(v, ":")
	n, err := strconv.ParseUint(val, 10, 64)
	if !ok || t == "" || err != nil {
		return Bandwidth{}, malformed("sdp b=", v)
	}
	return Bandwidth{Type: t, Value: n}, nil
}

func parseMediaLine(v string) (Media, error) {
	f := strings.Fields(v)
	if len(f) < 4 {
		return Media{}, malformed("sdp m=", v)
	}
	m := Media{Type: f[0], Proto: f[2], Formats: f[3:]}
	port, num, hasNum := strings.Cut(f[1], "/")
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return Media{}, malformed("sdp m= port", f[1])
	}
	m.Port = int(p)
	if hasNum {
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			return Media{}, malformed("sdp m= port count", f[1])
		}
		m.NumPorts = int(n)
	}
	return m, nil
}

// String writes the description with CRLF line ends.
func (s *SDP) String() string {
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k + "=" + v + "\r\n") }
	line("v", "0")
	line("o", s.Origin)
	line("s", s.Name)
	if s.Connection != "" {
		line("c", s.Connection)
	}
	for _, bw := range s.Bandwidths {
		line("b", bw.Type+":"+strconv.FormatUint(bw.Value, 10))
	}
	line("t", s.Timing)
	for _, a := range s.Attributes {
		line("a", a.String())
	}
	for _, m := range s.Media {
		port := strconv.Itoa(m.Port)
		if m.NumPorts > 0 {
			port += "/" + strconv.Itoa(m.NumPorts)
		}
		line("m", strings.Join(append([]string{m.Type, port, m.Proto}, m.Formats...), " "))
		if m.Connection != "" {
			line("c", m.Connection)
		}
		for _, bw := range m.Bandwidths {
			line("b", bw.Type+":"+strconv.FormatUint(bw.Value, 10))
		}
		for _, a := range m.Attributes {
			line("a", a.String())
		}
	}
	return b.String()
}

// Address is the media's connection address (media c= over session c=).
func (s *SDP) Address(m Media) (string, error) {
	c := m.Connection
	if c == "" {
		c = s.Connection
	}
	f := strings.Fields(c)
	if len(f) != 3 || f[0] != "IN" {
		return "", malformed("sdp", fmt.Sprintf("no usable c= for %s", m.Type))
	}
	addr, _, _ := strings.Cut(f[2], "/") // drop multicast TTL
	return addr, nil
}

// Direction is the media's sendrecv/sendonly/recvonly/inactive attribute,
// falling back to the session's, then to sendrecv (RFC 4566 6).
func (s *SDP) Direction(m Media) string {
	for _, attrs := range [][]Attribute{m.Attributes, s.Attributes} {
		for _, a := range attrs {
			switch a.Name {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				return a.Name
			}
		}
	}
	return "sendrecv"
}

// RTPMap is one a=rtpmap.
type RTPMap struct {
	Payload   int
	Encoding  string
	ClockRate int
	Channels  int
}

// RTPMaps lists the media's a=rtpmap entries.
func (m Media) RTPMaps() ([]RTPMap, error) {
	var out []RTPMap
	for _, a := range m.Attributes {
		if a.Name != "rtpmap" {
			continue
		}
		pt, enc, ok := strings.Cut(a.Value, " ")
		parts := strings.Split(enc, "/")
		p, err1 := strconv.Atoi(pt)
		if !ok || len(parts) < 2 || err1 != nil {
			return nil, malformed("sdp rtpmap", a.Value)
		}
		rate, err := strconv.Atoi(parts[1])
		if err != nil {
			return nil, malformed("sdp rtpmap clock", a.Value)
		}
		r := RTPMap{Payload: p, Encoding: parts[0], ClockRate: rate}
		if len(parts) > 2 {
			if r.Channels, err = strconv.Atoi(parts[2]); err != nil {
				return nil, malformed("sdp rtpmap channels", a.Value)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Bandwidth returns the media's b= value of type t (or the session's).
func (s *SDP) Bandwidth(m Media, t string) (uint64, bool) {
	for _, list := range [][]Bandwidth{m.Bandwidths, s.Bandwidths} {
		for _, bw := range list {
			if strings.EqualFold(bw.Type, t) {
				return bw.Value, true
			}
		}
	}
	return 0, false
}
