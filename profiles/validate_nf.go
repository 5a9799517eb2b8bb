package profiles

import (
	"math"
	"path"
	"regexp"
	"strings"
)

// nf checks one NF on its own and against the profile's networks and NFs.
func (v *validator) nf(i int, nf *NF) {
	p := joinIndex("nfs", i)
	v.checkName(p+".name", nf.Name, "NF", 40)
	if nf.Name == SelfRef {
		v.at(p+".name", "%q is reserved: ${self.network} means an instance's own address", SelfRef)
	}
	if j := v.nfs[nf.Name]; j != i && nf.Name != "" {
		v.at(p+".name", "NF %q is declared twice (first at line %d)", nf.Name, v.line(joinIndex("nfs", j)+".name"))
	}
	v.image(p, nf)
	if nf.Replicas < 0 {
		v.at(p+".replicas", "replicas must be 0 or more, got %d", nf.Replicas)
	}
	v.interfaces(p, nf)
	v.resources(p+".resources", &nf.Resources)
	v.dependsOn(p, nf)
	v.routes(p, nf)
	v.volumes(p, nf)
	v.scaling(p, nf)
	v.readiness(p+".readiness", nf)
	v.drain(p+".drain", nf)
	v.runtime(p, nf)
	v.references(p, nf)
}

var kindSyntax = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// image checks kind, image and where the config goes.
func (v *validator) image(p string, nf *NF) {
	switch {
	case nf.Kind != "" && nf.Image != "":
		v.at(p+".image", "set kind or image, not both")
	case nf.Kind == "" && nf.Image == "":
		v.at(p, "kind or image is required: a corenf kind (probe, dn ...) or an OCI image")
	case nf.Kind != "" && !kindSyntax.MatchString(nf.Kind):
		v.at(p+".kind", "bad kind %q: corenf kinds are lowercase letters and digits (probe, dn ...)", nf.Kind)
	case nf.Image != "" && strings.ContainsAny(nf.Image, " \t\n"):
		v.at(p+".image", "bad image reference %q: it has white space", nf.Image)
	}
	switch {
	case nf.Kind != "" && nf.ConfigPath != "":
		v.at(p+".config_path", "config_path is for images: a kind's config is mounted at /etc/corebox/%s.yaml", nf.Kind)
	case nf.ConfigPath != "" && !cleanAbs(nf.ConfigPath):
		v.at(p+".config_path", "%q is not an absolute, clean path (e.g. /etc/app/config.yaml)", nf.ConfigPath)
	case nf.Image != "" && len(nf.Config) > 0 && nf.ConfigPath == "":
		v.at(p+".config", "an image's config needs config_path: where to mount the file in the container")
	}
}

func cleanAbs(s string) bool { return path.IsAbs(s) && path.Clean(s) == s && s != "/" }

func (v *validator) interfaces(p string, nf *NF) {
	first := map[string]int{}
	for j := range nf.Interfaces {
		itf := &nf.Interfaces[j]
		ip := joinIndex(p+".interfaces", j)
		switch _, declared := v.nets[itf.Network]; {
		case !v.set(ip + ".network"):
			// missing: reported by the decoder
		case itf.Network == "":
			v.at(ip+".network", "empty network: name one of the profile's networks (%s)", v.networkNames())
		case !declared && itf.Network != MgmtNetwork:
			v.at(ip+".network", "no network %q in this profile%s (networks: %s)", itf.Network, suggest(itf.Network, v.networkList()), v.networkNames())
		}
		if k, dup := first[itf.Network]; dup {
			v.at(ip+".network", "a second interface on %q (first at line %d): an NF has one interface per network", itf.Network, v.line(joinIndex(p+".interfaces", k)+".network"))
			continue
		}
		first[itf.Network] = j
		v.staticAddresses(ip+".addresses", nf, itf)
	}
}

// networkList is every network name an interface may use, mgmt included.
func (v *validator) networkList() []string {
	names := []string{}
	hasMgmt := false
	for _, n := range v.p.Networks {
		names = append(names, n.Name)
		hasMgmt = hasMgmt || n.Name == MgmtNetwork
	}
	if !hasMgmt {
		names = append(names, MgmtNetwork)
	}
	return names
}

func (v *validator) networkNames() string { return keyList(v.networkList()) }

func (v *validator) nfNames() string {
	var names []string
	for _, nf := range v.p.NFs {
		names = append(names, nf.Name)
	}
	return keyList(names)
}

func (v *validator) nfList() []string {
	var names []string
	for _, nf := range v.p.NFs {
		names = append(names, nf.Name)
	}
	return names
}

func (v *validator) resources(p string, r *Resources) {
	if r.CPUs < 0 {
		v.at(p+".cpus", "cpus must be 0 or more (cores, may be fractional), got %g", r.CPUs)
	}
	if r.Memory != "" {
		if m, err := ParseMemory(r.Memory); err != nil {
			v.at(p+".memory", "%s", err.Error())
		} else if m == 0 {
			v.at(p+".memory", "memory must be more than 0 (leave it out for no limit)")
		}
	}
	if r.Pids < 0 {
		v.at(p+".pids", "pids must be 0 or more, got %d", r.Pids)
	}
	if r.Dataplane != "" && (r.CPUs < 1 || r.CPUs != math.Trunc(r.CPUs)) {
		v.at(p+".cpus", "dataplane %s needs cpus: a whole number of exclusive cores, at least 1 (got %g)", r.Dataplane, r.CPUs)
	}
}

func (v *validator) dependsOn(p string, nf *NF) {
	first := map[string]int{}
	for j, d := range nf.DependsOn {
		dp := joinIndex(p+".depends_on", j) + ".nf"
		_, exists := v.nfs[d.NF]
		switch {
		case !v.set(dp):
			continue
		case d.NF == "":
			v.at(dp, "empty: name an NF of the profile (%s)", v.nfNames())
		case d.NF == nf.Name:
			v.at(dp, "an NF cannot depend on itself")
		case !exists:
			v.at(dp, "no NF %q in this profile%s (NFs: %s)", d.NF, suggest(d.NF, v.nfList()), v.nfNames())
		}
		if k, dup := first[d.NF]; dup {
			v.at(dp, "%q is listed twice (first at line %d)", d.NF, v.line(joinIndex(p+".depends_on", k)+".nf"))
		}
		first[d.NF] = j
	}
}

var (
	volumeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	capName    = regexp.MustCompile(`^(CAP_)?[A-Z][A-Z0-9_]*$`)
)

func (v *validator) volumes(p string, nf *NF) {
	first := map[string]int{}
	for j, vol := range nf.Volumes {
		vp := joinIndex(p+".volumes", j)
		if v.set(vp+".name") && (!volumeName.MatchString(vol.Name) || len(vol.Name) > 64) {
			v.at(vp+".name", "bad volume name %q: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64", vol.Name)
		}
		if !v.set(vp + ".path") {
			continue
		}
		if !cleanAbs(vol.Path) {
			v.at(vp+".path", "mount path %q must be absolute and clean, and not / (e.g. /var/lib/data)", vol.Path)
		}
		if k, dup := first[vol.Path]; dup {
			v.at(vp+".path", "%s is mounted twice (first at line %d)", vol.Path, v.line(joinIndex(p+".volumes", k)+".path"))
		}
		first[vol.Path] = j
	}
}

func (v *validator) scaling(p string, nf *NF) {
	s := nf.Scaling
	if s == nil {
		return
	}
	sp := p + ".scaling"
	if s.Min < 1 {
		v.at(sp+".min", "min must be at least 1, got %d", s.Min)
	}
	if s.Max < s.Min {
		v.at(sp+".max", "max (%d) must be at least min (%d)", s.Max, s.Min)
	}
	if s.Metric == "" {
		v.at(sp+".metric", "metric is required: a Prometheus metric the NF exports (e.g. corebox_probe_load) or cpu")
	}
	if s.Target <= 0 {
		v.at(sp+".target", "target must be greater than 0, got %g", s.Target)
	}
	if s.Cooldown < 0 {
		v.at(sp+".cooldown", "cooldown must not be negative")
	}
	if v.set(p+".replicas") && s.Min >= 1 && s.Max >= s.Min && (nf.Replicas < s.Min || nf.Replicas > s.Max) {
		v.at(p+".replicas", "replicas %d is outside the scaling range %d..%d", nf.Replicas, s.Min, s.Max)
	}
}

func (v *validator) readiness(p string, nf *NF) {
	r := &nf.Readiness
	checks := 0
	for _, k := range []string{"http", "tcp", "udp"} {
		if v.set(p + "." + k) {
			checks++
		}
	}
	if checks > 1 {
		v.at(p, "set at most one of http, tcp and udp")
	}
	v.httpPath(p+".http", r.HTTP)
	v.port(p+".tcp", r.TCP)
	v.port(p+".udp", r.UDP)
	v.port(p+".port", r.Port)
	switch {
	case v.set(p+".port") && (v.set(p+".tcp") || v.set(p+".udp")):
		v.at(p+".port", "port is the HTTP check's; tcp and udp give their own port")
	case v.set(p+".port") && r.HTTP == "":
		v.at(p+".port", "port is the HTTP check's: give http too")
	}
	v.positive(p+".interval", r.Interval.Seconds())
	v.positive(p+".timeout", r.Timeout.Seconds())
}

func (v *validator) drain(p string, nf *NF) {
	d := &nf.Drain
	v.httpPath(p+".http", d.HTTP)
	v.port(p+".port", d.Port)
	v.positive(p+".timeout", d.Timeout.Seconds())
	switch {
	case d.Disabled && v.set(p+".http"):
		v.at(p+".disabled", "disabled and http exclude each other")
	case nf.Image != "" && !v.set(p+".disabled") && !v.set(p+".http") && (v.set(p+".port") || v.set(p+".timeout")):
		v.at(p, "an image has no default drain endpoint: give http (or leave drain out)")
	}
}

func (v *validator) httpPath(p, s string) {
	if v.set(p) && !strings.HasPrefix(s, "/") {
		v.at(p, "%q is not an HTTP path: it starts with / (e.g. /readyz)", s)
	}
}

func (v *validator) port(p string, port int) {
	if v.set(p) && (port < 1 || port > 65535) {
		v.at(p, "port %d is out of range: 1 to 65535", port)
	}
}

func (v *validator) positive(p string, seconds float64) {
	if v.set(p) && seconds <= 0 {
		v.at(p, "must be greater than 0")
	}
}

// runtime checks what is handed to the container as is.
func (v *validator) runtime(p string, nf *NF) {
	for _, k := range sortedKeys(nf.Sysctls) {
		if !strings.HasPrefix(k, "net.") {
			v.at(joinKey(p+".sysctls", k), "only net.* sysctls can be set: the container has its own network namespace, other sysctls are the host's")
		}
	}
	for j, c := range nf.Capabilities {
		if !capName.MatchString(c) {
			v.at(joinIndex(p+".capabilities", j), "bad capability %q: use a name such as NET_ADMIN", c)
		}
	}
	for j, d := range nf.Devices {
		if !cleanAbs(d) || !strings.HasPrefix(d, "/dev/") {
			v.at(joinIndex(p+".devices", j), "bad device %q: use a path under /dev, e.g. /dev/net/tun", d)
		}
	}
	for j, e := range nf.Env {
		if name, _, ok := strings.Cut(e, "="); !ok || !varName.MatchString(name) {
			v.at(joinIndex(p+".env", j), "bad environment variable %q: use NAME=VALUE", e)
		}
	}
}
