package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// imageOf is the image an NF runs.
func imageOf(d *state.Desired, nf *profiles.NF) string {
	if nf.Image != "" {
		return nf.Image
	}
	return "corebox/" + nf.Kind + ":" + d.ImageTag
}

// errUnresolved: a reference names an NF whose instances have no address
// yet; the instance waits.
type errUnresolved struct{ msg string }

func (e *errUnresolved) Error() string { return e.msg }

// instanceSpec builds the container spec of replica i, with references
// resolved against the addresses known now, and the hash that decides
// whether a running instance must be rolled. Resources are left out of the
// hash: they change in place.
func instanceSpec(d *state.Desired, nf *profiles.NF, i int, rec *state.Instance, addrs addressBook) (container.Spec, string, error) {
	name := profiles.InstanceName(d.Name, nf.Name, i)
	spec := container.Spec{
		Name: name, Image: imageOf(d, nf), Args: nf.Args, Env: nf.Env,
		Capabilities: nf.Capabilities, Devices: nf.Devices, Sysctls: nf.Sysctls,
		ConfigPath: nf.ConfigPath,
		Labels: map[string]string{
			backend.LabelProfile: d.Name, backend.LabelNF: nf.Name, backend.LabelIndex: strconv.Itoa(i),
		},
	}
	for _, itf := range nf.Interfaces {
		req := container.NetRequest{Network: profiles.HostNetwork(d.Name, itf.Network), IfName: itf.Network}
		ip := ""
		if i < len(itf.Addresses) {
			ip = itf.Addresses[i]
		} else if rec != nil {
			ip = rec.Addresses[itf.Network] // keep the address it had
		}
		if ip != "" {
			a, err := netip.ParseAddr(ip)
			if err != nil {
				return spec, "", fmt.Errorf("%s: address %q on %s: %w", name, ip, itf.Network, err)
			}
			req.IP = a
		}
		spec.Networks = append(spec.Networks, req)
	}
	for _, v := range nf.Volumes {
		spec.Volumes = append(spec.Volumes, container.Volume{Name: d.Name + "-" + v.Name, Path: v.Path, ReadOnly: v.ReadOnly})
	}
	lookup := addrs.forReplica(i)
	var err error
	if spec.Env, err = resolveAll(nf.Env, lookup); err != nil {
		return spec, "", &errUnresolved{msg: fmt.Sprintf("env of %s: %v", name, err)}
	}
	if spec.Args, err = resolveAll(nf.Args, lookup); err != nil {
		return spec, "", &errUnresolved{msg: fmt.Sprintf("args of %s: %v", name, err)}
	}
	if len(nf.Config) > 0 {
		var cfg map[string]any
		cfg, err = profiles.ResolveRefs(nf.Config, lookup)
		if err != nil {
			return spec, "", &errUnresolved{msg: fmt.Sprintf("config of %s: %v", name, err)}
		}
		if spec.Config, err = yaml.Marshal(cfg); err != nil {
			return spec, "", fmt.Errorf("config of %s: %w", name, err)
		}
	}
	hash, err := specHash(spec)
	if err != nil {
		return spec, "", err
	}
	spec.Labels[backend.LabelConfigHash] = hash
	return spec, hash, nil
}

// resolveAll resolves references in each string of a list.
func resolveAll(in []string, lookup func(nf, network string) ([]string, error)) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		r, err := profiles.ResolveString(s, lookup)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// specHash covers everything that needs a new container to change. Static
// addresses are left out: the ones IPAM gave are pinned on re-creation,
// which must not count as a change.
func specHash(s container.Spec) (string, error) {
	h := struct {
		Image, ConfigPath        string
		Args, Env, Caps, Devices []string
		Config                   []byte
		Networks                 []string
		Volumes                  []container.Volume
		Sysctls                  map[string]string
	}{s.Image, s.ConfigPath, s.Args, s.Env, s.Capabilities, s.Devices, s.Config, nil, s.Volumes, s.Sysctls}
	for _, n := range s.Networks {
		h.Networks = append(h.Networks, n.Network+"/"+n.IfName)
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("hash spec of %s: %w", s.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// resourcesOf is an instance's desired limits: the profile's, then the
// instance's resize override. The cpuset is the placement's (cpusetOf).
func resourcesOf(d *state.Desired, nf *profiles.NF, rec *state.Instance) (container.Resources, error) {
	r := container.Resources{CPUs: nf.Resources.CPUs, Pids: nf.Resources.Pids}
	if nf.Resources.Memory != "" {
		m, err := profiles.ParseMemory(nf.Resources.Memory)
		if err != nil {
			return r, fmt.Errorf("%s: memory: %w", nf.Name, err)
		}
		r.MemoryBytes = m
	}
	if o, ok := d.Resources[rec.Name]; ok {
		r.CPUs, r.MemoryBytes, r.Pids = o.CPUs, o.MemoryBytes, o.Pids
	}
	return r, nil
}

// addressBook knows the addresses of the profile's instances, by NF and
// network, in replica order.
type addressBook map[string]map[string][]string

// forReplica is lookup that also answers ${self.index} with i.
func (a addressBook) forReplica(i int) func(nf, network string) ([]string, error) {
	return func(nf, network string) ([]string, error) {
		if nf == profiles.SelfRef && network == profiles.SelfIndex {
			return []string{strconv.Itoa(i)}, nil
		}
		return a.lookup(nf, network)
	}
}

func (a addressBook) lookup(nf, network string) ([]string, error) {
	byNet, ok := a[nf]
	if !ok {
		return nil, fmt.Errorf("%s has no instances yet", nf)
	}
	addrs := byNet[network]
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s has no address on %s yet", nf, network)
	}
	for i, ad := range addrs {
		if ad == "" {
			return nil, fmt.Errorf("replica %d of %s has no address on %s yet", i, nf, network)
		}
	}
	return addrs, nil
}
