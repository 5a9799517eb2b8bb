package profiles

// routes checks an NF's routes: from names another NF of the profile,
// network a service network both NFs are on, each pair listed once.
func (v *validator) routes(p string, nf *NF) {
	first := map[Route]int{}
	for j, r := range nf.Routes {
		rp := joinIndex(p+".routes", j)
		from := v.routeFrom(rp+".from", nf, r.From)
		v.routeNetwork(rp+".network", nf, from, r.Network)
		if !v.set(rp+".from") || !v.set(rp+".network") {
			continue
		}
		if k, dup := first[r]; dup {
			v.at(rp+".from", "routes from %q on %q are listed twice (first at line %d)", r.From, r.Network, v.line(joinIndex(p+".routes", k)+".from"))
			continue
		}
		first[r] = j
	}
}

// routeFrom checks from and returns that NF, nil when it is not usable.
func (v *validator) routeFrom(path string, nf *NF, from string) *NF {
	j, exists := v.nfs[from]
	switch {
	case !v.set(path):
		// missing: reported by the decoder
	case from == "":
		v.at(path, "empty: name another NF of the profile (NFs: %s)", v.nfNames())
	case from == nf.Name:
		v.at(path, "an NF cannot take routes from itself: name the NF whose replicas announce them")
	case !exists:
		v.at(path, "no NF %q in this profile%s (NFs: %s)", from, suggest(from, v.nfList()), v.nfNames())
	default:
		return &v.p.NFs[j]
	}
	return nil
}

// routeNetwork checks the network routes go through: both NFs are on it.
func (v *validator) routeNetwork(path string, nf, from *NF, network string) {
	_, declared := v.nets[network]
	switch {
	case !v.set(path):
		// missing: reported by the decoder
	case network == "":
		v.at(path, "empty network: name one of the profile's networks (%s)", v.networkNames())
	case network == MgmtNetwork:
		v.at(path, "routes cannot go through mgmt: it carries ops traffic only; name a network both NFs are on")
	case !declared:
		v.at(path, "no network %q in this profile%s (networks: %s)", network, suggest(network, v.networkList()), v.networkNames())
	case !nf.on(network):
		v.at(path, "NF %q has no interface on %q (its networks: %s)", nf.Name, network, keyList(nf.networks()))
	case from != nil && !from.on(network):
		v.at(path, "NF %q has no interface on %q (its networks: %s)", from.Name, network, keyList(from.networks()))
	}
}
