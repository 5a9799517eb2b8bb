package kube

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/corebox/corebox/profiles"
)

// NetworksAnnotation is Multus's pod annotation listing attachments.
const NetworksAnnotation = "k8s.v1.cni.cncf.io/networks"

// nadName is a network's NetworkAttachmentDefinition; static addresses
// go through a second one whose IPAM takes them from the annotation.
func (r *renderer) nadName(network string, static bool) string {
	n := profiles.HostNetwork(r.p.Name, network)
	if static {
		n += "-static"
	}
	return n
}

// networks renders a NetworkAttachmentDefinition per Multus network, and a
// "-static" one where an NF pins addresses on it.
func (r *renderer) networks() ([]Object, error) {
	var out []Object
	for _, n := range r.p.Networks {
		if isPodNetwork(n.Name) {
			continue
		}
		prefix, err := netip.ParsePrefix(n.Subnet)
		if err != nil {
			return nil, fmt.Errorf("network %s: subnet: %w", n.Name, err)
		}
		exclude := []string{prefix.Addr().Next().String() + "/32"} // .1: the host's on corebox
		pinned := false
		for _, nf := range r.p.NFs {
			for _, itf := range nf.Interfaces {
				if itf.Network != n.Name {
					continue
				}
				for _, a := range itf.Addresses {
					exclude = append(exclude, a+"/32")
					pinned = true
				}
			}
		}
		ipam := map[string]any{"type": "whereabouts", "range": n.Subnet, "exclude": exclude}
		nad, err := r.nad(n, false, ipam)
		if err != nil {
			return nil, err
		}
		out = append(out, nad)
		if pinned {
			if nad, err = r.nad(n, true, map[string]any{"type": "static"}); err != nil {
				return nil, err
			}
			out = append(out, nad)
		}
	}
	return out, nil
}

func (r *renderer) nad(n profiles.Network, static bool, ipam map[string]any) (Object, error) {
	name := r.nadName(n.Name, static)
	conf := map[string]any{"cniVersion": "1.0.0", "name": name, "ipam": ipam}
	if n.Type == "macvlan" {
		conf["type"], conf["master"], conf["mode"] = "macvlan", n.Master, "bridge"
	} else {
		conf["type"], conf["bridge"] = "bridge", profiles.HostNetwork(r.p.Name, n.Name)
	}
	if n.MTU > 0 {
		conf["mtu"] = n.MTU
	}
	if static {
		conf["capabilities"] = map[string]any{"ips": true}
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return Object{}, fmt.Errorf("network %s: CNI config: %w", n.Name, err)
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("k8s.cni.cncf.io/v1")
	u.SetKind("NetworkAttachmentDefinition")
	m := r.meta(name, "")
	u.SetName(m.Name)
	u.SetNamespace(m.Namespace)
	u.SetLabels(m.Labels)
	u.Object["spec"] = map[string]any{"config": string(b)}
	return Object{Kind: "NetworkAttachmentDefinition", Name: name, Obj: u}, nil
}

// attachment is one entry of the Multus annotation.
type attachment struct {
	Name      string   `json:"name"`
	Interface string   `json:"interface"`
	IPs       []string `json:"ips,omitempty"`
}

// podNetworksAnnotation attaches the NF's Multus interfaces, each named
// after its network. Static addresses need one pod, so replicas == 1.
func (r *renderer) podNetworksAnnotation(nf *profiles.NF) (string, error) {
	var atts []attachment
	for i, itf := range nf.Interfaces {
		if isPodNetwork(itf.Network) {
			continue
		}
		a := attachment{Name: r.nadName(itf.Network, len(itf.Addresses) > 0), Interface: itf.Network}
		if len(itf.Addresses) > 0 {
			if nf.Replicas != 1 {
				return "", fmt.Errorf("interfaces[%d].addresses: static addresses need replicas: 1 on Kubernetes (pods of one template share the annotation)", i)
			}
			bits, err := r.subnetBits(itf.Network)
			if err != nil {
				return "", fmt.Errorf("interfaces[%d]: %w", i, err)
			}
			a.IPs = []string{fmt.Sprintf("%s/%d", itf.Addresses[0], bits)}
		}
		atts = append(atts, a)
	}
	if len(atts) == 0 {
		return "", nil
	}
	b, err := json.Marshal(atts)
	if err != nil {
		return "", fmt.Errorf("networks annotation: %w", err)
	}
	return string(b), nil
}

func (r *renderer) subnetBits(network string) (int, error) {
	for _, n := range r.p.Networks {
		if n.Name == network {
			p, err := netip.ParsePrefix(n.Subnet)
			if err != nil {
				return 0, fmt.Errorf("network %s: %w", network, err)
			}
			return p.Bits(), nil
		}
	}
	return 0, fmt.Errorf("no network %s", network)
}
