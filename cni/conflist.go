package cni

import (
	"encoding/json"
	"fmt"

	"github.com/containernetworking/cni/libcni"
)

const cniVersion = "1.0.0"

// Plugin chains per network type; the first entry is the main plugin.
var (
	bridgeChain  = []string{"bridge", "host-local", "tuning", "bandwidth"}
	macvlanChain = []string{"macvlan", "host-local", "tuning"}
)

func chainFor(n *Network) []string {
	if n.Type == TypeMacvlan {
		return macvlanChain
	}
	return bridgeChain
}

// confList renders the network's full CNI conflist: the main plugin with
// host-local IPAM (static addresses through the "ips" capability), then
// tuning (per-interface sysctls), then bandwidth (bridge only: it shapes
// the host veth, which macvlan has not). DEL without a cached ADD uses it,
// since it undoes whatever an interrupted ADD may have done.
func (m *Manager) confList(n *Network) (*libcni.NetworkConfigList, error) {
	return m.renderList(n, true)
}

// addList is the conflist for one ADD: plugins with nothing to do for this
// request are left out, since each costs a process start. libcni caches
// the list it added with, so DEL runs the same one.
func (m *Manager) addList(n *Network, req AttachRequest) (*libcni.NetworkConfigList, error) {
	return m.renderList(n, req.Bandwidth != nil)
}

func (m *Manager) renderList(n *Network, full bool) (*libcni.NetworkConfigList, error) {
	plugins := []map[string]any{m.mainPlugin(n)}
	if full {
		plugins = append(plugins, map[string]any{"type": "tuning", "dataDir": m.paths.tuningDir()})
		if n.Type != TypeMacvlan {
			plugins = append(plugins, map[string]any{"type": "bandwidth", "capabilities": map[string]bool{"bandwidth": true}})
		}
	}
	data, err := json.Marshal(map[string]any{"cniVersion": cniVersion, "name": n.Name, "plugins": plugins})
	if err != nil {
		return nil, fmt.Errorf("render conflist of %s: %w", n.Name, err)
	}
	list, err := libcni.NetworkConfFromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("render conflist of %s: %w", n.Name, err)
	}
	return list, nil
}

func (m *Manager) mainPlugin(n *Network) map[string]any {
	subnet, _ := parseSubnet(n.Subnet) // validated at Create
	ipam := map[string]any{
		"type":    "host-local",
		"dataDir": m.paths.ipamDir(),
		// The gateway (first host address) is always reserved, so a later
		// switch to a host gateway never collides with a container.
		"ranges": [][]map[string]string{{{"subnet": n.Subnet, "gateway": firstHost(subnet).String()}}},
	}
	p := map[string]any{"ipam": ipam, "capabilities": map[string]bool{"ips": true}}
	if n.MTU > 0 {
		p["mtu"] = n.MTU
	}
	if n.Type == TypeMacvlan {
		p["type"], p["master"], p["mode"] = "macvlan", n.Master, "bridge"
		return p
	}
	p["type"], p["bridge"] = "bridge", n.Bridge
	// isGateway stays off: Create gave the bridge its address, and the
	// plugin would also switch on the host's ip_forward.
	p["isGateway"], p["ipMasq"], p["hairpinMode"] = false, false, false
	return p
}
