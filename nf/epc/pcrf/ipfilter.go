package pcrf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/corebox/corebox/nf/proto/diameter"
)

// errFilter: a Flow-Description outside the IPFilterRule subset that Rx
// and Gx allow (TS 29.214 5.3.8, TS 29.212 5.4.2).
var errFilter = errors.New("flow description")

// ipFilter is that subset of an RFC 6733 IPFilterRule:
// "permit in|out PROTO from ADDR [PORTS] to ADDR [PORTS]", no options.
type ipFilter struct {
	dir      string // "in" or "out"
	proto    string // decimal protocol number or "ip"
	src, dst filterEnd
}

// filterEnd is one side of a rule.
type filterEnd struct {
	addr   string       // as written: "any", "assigned", an address or a prefix
	prefix netip.Prefix // the address or prefix; invalid for the keywords
	ports  string       // "" or a list of ports and ranges, "5000,6000-6001"
}

// maxFilterLen bounds what we parse (a rule is well under 200 octets).
const maxFilterLen = 512

func parseIPFilter(s string) (ipFilter, error) {
	if len(s) > maxFilterLen {
		return ipFilter{}, fmt.Errorf("%w: %d octets, at most %d", errFilter, len(s), maxFilterLen)
	}
	f := strings.Fields(s)
	if len(f) < 6 || f[0] != "permit" || (f[1] != "in" && f[1] != "out") {
		return ipFilter{}, fmt.Errorf("%w %q: want \"permit in|out PROTO from ADDR [PORTS] to ADDR [PORTS]\"", errFilter, s)
	}
	r := ipFilter{dir: f[1], proto: f[2]}
	if r.proto != "ip" {
		if _, err := strconv.ParseUint(r.proto, 10, 8); err != nil {
			return ipFilter{}, fmt.Errorf("%w %q: protocol %q: want 0..255 or ip", errFilter, s, r.proto)
		}
	}
	rest := f[3:]
	var err error
	if r.src, rest, err = parseFilterEnd(rest, "from"); err != nil {
		return ipFilter{}, fmt.Errorf("%w %q: %v", errFilter, s, err)
	}
	if r.dst, rest, err = parseFilterEnd(rest, "to"); err != nil {
		return ipFilter{}, fmt.Errorf("%w %q: %v", errFilter, s, err)
	}
	if len(rest) > 0 {
		return ipFilter{}, fmt.Errorf("%w %q: options %q are not allowed", errFilter, s, strings.Join(rest, " "))
	}
	return r, nil
}

// parseFilterEnd reads "from|to ADDR [PORTS]" off f.
func parseFilterEnd(f []string, word string) (filterEnd, []string, error) {
	if len(f) < 2 || f[0] != word {
		return filterEnd{}, nil, fmt.Errorf("want %q ADDR", word)
	}
	e := filterEnd{addr: f[1]}
	switch e.addr {
	case "any", "assigned":
	default:
		p, err := parseFilterAddr(e.addr)
		if err != nil {
			return filterEnd{}, nil, err
		}
		e.prefix = p
	}
	f = f[2:]
	if len(f) > 0 && f[0] != "to" && isPortList(f[0]) {
		if err := checkPorts(f[0]); err != nil {
			return filterEnd{}, nil, err
		}
		e.ports, f = f[0], f[1:]
	}
	return e, f, nil
}

func parseFilterAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address %q: %v", s, err)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("address %q: want an IP address, a prefix, any or assigned", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func isPortList(s string) bool {
	return s != "" && strings.Trim(s, "0123456789,-") == ""
}

// checkPorts accepts "p", "p-q" and comma lists of them, 0..65535, p <= q.
func checkPorts(s string) error {
	for _, item := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return fmt.Errorf("ports %q: %q is not a port", s, lo)
		}
		if isRange {
			b, err := strconv.ParseUint(hi, 10, 16)
			if err != nil || b < a {
				return fmt.Errorf("ports %q: bad range %q", s, item)
			}
		}
	}
	return nil
}

func (r ipFilter) String() string {
	return "permit " + r.dir + " " + r.proto + " from " + r.src.String() + " to " + r.dst.String()
}

func (e filterEnd) String() string {
	if e.ports == "" {
		return e.addr
	}
	return e.addr + " " + e.ports
}

// is reports whether the end names exactly ue.
func (e filterEnd) is(ue netip.Addr) bool {
	return ue.IsValid() && e.prefix.IsValid() && e.prefix.IsSingleIP() && e.prefix.Addr() == ue.Unmap()
}

// rxToGx turns an Rx Flow-Description into a Gx Flow-Information. Rx
// writes downlink flows "permit out ... from REMOTE to UE" and uplink ones
// "permit in ... from UE to REMOTE" (TS 29.214 5.3.8); Gx wants "permit
// out ... from REMOTE to UE" for both, with Flow-Direction saying which
// way (TS 29.212 5.4.2, TS 29.213 6.3). An uplink flow an AF wrote with
// "out" (the UE as source) is turned round the same way.
func rxToGx(desc string, ue netip.Addr) (diameter.Flow, error) {
	r, err := parseIPFilter(desc)
	if err != nil {
		return diameter.Flow{}, err
	}
	if r.src.addr == "assigned" || r.dst.addr == "assigned" {
		return diameter.Flow{}, fmt.Errorf("%w %q: \"assigned\" is not allowed on Rx", errFilter, desc)
	}
	uplink := r.dir == "in" || (r.src.is(ue) && !r.dst.is(ue))
	if !uplink {
		return diameter.Flow{Description: r.String(), Direction: diameter.FlowDirectionDownlink}, nil
	}
	g := ipFilter{dir: "out", proto: r.proto, src: r.dst, dst: r.src}
	return diameter.Flow{Description: g.String(), Direction: diameter.FlowDirectionUplink}, nil
}
