package profiles

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
)

func (v *validator) networks() {
	valid := map[int]netip.Prefix{}
	first := map[string]int{}
	for i := range v.p.Networks {
		n := &v.p.Networks[i]
		path := joinIndex("networks", i)
		v.checkName(path+".name", n.Name, "network", 10)
		if n.Name == SelfIndex {
			v.at(path+".name", "%q is reserved: ${self.index} means an instance's replica number", SelfIndex)
		}
		if j, dup := first[n.Name]; dup && n.Name != "" {
			v.at(path+".name", "network %q is declared twice (first at line %d)", n.Name, v.line(joinIndex("networks", j)+".name"))
		} else {
			first[n.Name] = i
		}
		if p, ok := v.subnet(path+".subnet", n); ok {
			valid[i] = p
		}
		v.networkType(path, n)
	}
	v.overlaps(valid)
}

// subnet checks a network's subnet.
func (v *validator) subnet(path string, n *Network) (netip.Prefix, bool) {
	if n.Subnet == "" {
		if n.Name != MgmtNetwork {
			v.at(path, "missing subnet: give an IPv4 subnet such as 10.100.3.0/24 (only mgmt may leave it to the orchestrator)")
		}
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(n.Subnet)
	switch {
	case err != nil:
		v.at(path, "%q is not an IPv4 subnet in CIDR form, such as 10.100.3.0/24", n.Subnet)
	case !p.Addr().Is4():
		v.at(path, "%q is not IPv4: networks are IPv4 subnets, such as 10.100.3.0/24", n.Subnet)
	case p != p.Masked():
		v.at(path, "%q is not canonical: the address has host bits set; did you mean %q?", n.Subnet, p.Masked().String())
	case p.Bits() > 30:
		v.at(path, "%q is too small: a subnet needs the host's .1 and an address per instance; use /30 or larger", n.Subnet)
	case p.Bits() < 8:
		v.at(path, "%q is too large: use /8 or smaller", n.Subnet)
	default:
		return p, true
	}
	return netip.Prefix{}, false
}

// overlaps refuses subnets that share addresses, naming both networks.
func (v *validator) overlaps(valid map[int]netip.Prefix) {
	for j := range v.p.Networks {
		pj, ok := valid[j]
		if !ok {
			continue
		}
		for i := 0; i < j; i++ {
			if pi, ok := valid[i]; ok && pi.Overlaps(pj) {
				v.at(joinIndex("networks", j)+".subnet", "subnet %s of network %q overlaps subnet %s of network %q (line %d)",
					pj, v.p.Networks[j].Name, pi, v.p.Networks[i].Name, v.line(joinIndex("networks", i)+".subnet"))
				break
			}
		}
	}
}

func (v *validator) networkType(path string, n *Network) {
	switch {
	case n.Type == "macvlan" && n.Name == MgmtNetwork:
		v.at(path+".type", "the mgmt network must be a bridge: the host reaches every instance's ops endpoints through it")
	case n.Type == "macvlan" && n.Master == "":
		v.at(path+".type", "macvlan needs master: the host interface to attach to (e.g. eth1)")
	case n.Type != "macvlan" && n.Master != "":
		v.at(path+".master", "master is only for type macvlan")
	case n.Master != "" && !validIfName(n.Master):
		v.at(path+".master", "%q is not a Linux interface name (1 to 15 characters, no /, : or spaces)", n.Master)
	}
	if v.set(path+".mtu") && (n.MTU < 576 || n.MTU > 9000) {
		v.at(path+".mtu", "MTU %d is out of range: 576 to 9000", n.MTU)
	}
}

func validIfName(s string) bool {
	return len(s) > 0 && len(s) <= 15 && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n")
}

// staticAddresses checks an interface's fixed addresses.
func (v *validator) staticAddresses(path string, nf *NF, itf *Interface) {
	if len(itf.Addresses) == 0 {
		return
	}
	switch {
	case nf.Scaling != nil:
		v.at(path, "static addresses exclude a scaling policy: each replica needs its own address and scaling changes their number")
		return
	case len(itf.Addresses) != nf.Replicas:
		v.at(path, "%s for %s: give exactly one per replica, in replica order", count(len(itf.Addresses), "address", "addresses"), count(nf.Replicas, "replica", "replicas"))
	}
	n := v.nets[itf.Network]
	if n == nil || n.Subnet == "" {
		if itf.Network == MgmtNetwork {
			v.at(path, "static addresses on mgmt need a mgmt network with a subnet declared in the profile")
		}
		return
	}
	subnet, err := netip.ParsePrefix(n.Subnet)
	if err != nil || subnet != subnet.Masked() || !subnet.Addr().Is4() {
		return // reported with the network
	}
	for k, s := range itf.Addresses {
		v.address(joinIndex(path, k), s, nf.Name, itf.Network, subnet)
	}
}

// address checks one static address: usable in its subnet, and not
// another instance's.
func (v *validator) address(path, s, nf, network string, subnet netip.Prefix) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		v.at(path, "%q is not an IPv4 address", s)
		return
	}
	base := subnet.Addr()
	last := lastAddr(subnet)
	switch {
	case !subnet.Contains(a):
		v.at(path, "%s is outside the subnet %s of network %q", a, subnet, network)
		return
	case a == base:
		v.at(path, "%s is the network address of %s; use one from %s to %s", a, subnet, base.Next().Next(), last.Prev())
		return
	case a == last:
		v.at(path, "%s is the broadcast address of %s; use one from %s to %s", a, subnet, base.Next().Next(), last.Prev())
		return
	case a == base.Next():
		v.at(path, "%s is the host's address (.1, the gateway) on %q; use one from %s to %s", a, network, base.Next().Next(), last.Prev())
		return
	}
	if v.used[network] == nil {
		v.used[network] = map[netip.Addr]string{}
	}
	if other, taken := v.used[network][a]; taken {
		v.at(path, "%s is already the address of NF %q on %q (%s)", a, other, network, v.where(v.usedAt[network][a]))
		return
	}
	v.used[network][a] = nf
	if v.usedAt[network] == nil {
		v.usedAt[network] = map[netip.Addr]string{}
	}
	v.usedAt[network][a] = path
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	u := binary.BigEndian.Uint32(b[:]) | (1<<(32-p.Bits()) - 1)
	binary.BigEndian.PutUint32(b[:], u)
	return netip.AddrFrom4(b)
}

// count writes "1 address", "2 addresses".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
