package profiles

import (
	"reflect"
	"strings"
	"sync"
)

// The format is the Go types of profile.go read through their yaml tags;
// these tables add what tags cannot say. The decoder, the JSON Schema and
// the README test all read them, so the three cannot drift apart. Keys are
// "Type.key".

// docs describes every key (a test fails when one is missing).
var docs = map[string]string{
	"Profile.name":      "Profile name: a lowercase letter, then lowercase letters or digits. Host networks are named PROFILE-NET, and Linux interface names hold at most 15 characters, so name, a dash and the longest network name (mgmt included) must fit in 15.",
	"Profile.include":   "Other profiles merged under this one, by NF and network name: shipped profile names (demo) or paths relative to this file (a path has a / or a .yaml suffix).",
	"Profile.variables": "Variables and their defaults. ${name} in any string value is replaced by the value given with --set name=VALUE, else by this default.",
	"Profile.networks":  "The profile's networks. Each is created on the host as PROFILE-NAME; inside containers the interface keeps NAME. The network mgmt is added when not declared.",
	"Profile.nfs":       "The network functions.",

	"Network.name":   "Network name: a lowercase letter, then lowercase letters or digits, at most 10 characters. It is also the interface name inside containers.",
	"Network.subnet": "IPv4 subnet in canonical CIDR form (10.100.3.0/24), /30 or larger. Required, except for mgmt, whose subnet is allocated by the orchestrator when not given. Subnets of a profile must not overlap.",
	"Network.type":   "bridge (default): a Linux bridge with the host as gateway (.1). macvlan: onto the host interface named by master, for a real RAN.",
	"Network.master": "For macvlan only: the host interface the network is attached to.",
	"Network.mtu":    "Interface MTU, 576 to 9000. Default: the kernel's.",

	"NF.name":         "NF name: a lowercase letter, then lowercase letters or digits, at most 40 characters. Instances are named PROFILE-NF-I.",
	"NF.kind":         "A corenf kind (probe, dn ...): the image corebox/KIND is used and the NF's ops endpoints are known. Set kind or image, not both.",
	"NF.image":        "Any OCI image instead of a kind. Readiness is then \"started\" and draining is off unless readiness and drain say otherwise.",
	"NF.replicas":     "Number of instances (0 or more). Default: 1, or scaling.min when a scaling policy is given.",
	"NF.interfaces":   "Networks the NF is on, one interface each, named after the network. An interface on mgmt is added first when absent.",
	"NF.resources":    "Limits of each instance.",
	"NF.config":       "The NF's configuration, merged over the kind's defaults and mounted read-only (at /etc/corebox/KIND.yaml for a kind, at config_path for an image). String values may refer to other NFs' addresses: ${nf.network}, ${nf.network[N]}, ${nf.network[*]}.",
	"NF.config_path":  "For images only: where the config file is mounted in the container (an absolute path). Required when an image has config.",
	"NF.args":         "Arguments for the image's entry point. May hold address references.",
	"NF.env":          "Environment variables, NAME=VALUE. Values may hold address references.",
	"NF.depends_on":   "NFs whose instances must be started or ready before this NF's are created. An item is an NF name (condition ready) or a mapping with nf and condition.",
	"NF.routes":       "Routes the orchestrator keeps inside every instance of this NF: each prefix that a running replica of NF from announces for network (GET /routes on its ops port) is routed via that replica's address on network, and withdrawn when the replica goes. A list of mappings with from and network. Not a bring-up dependency.",
	"NF.volumes":      "Named volumes that survive the container: NAME:/abs/path, NAME:/abs/path:ro, or a mapping with name, path and read_only.",
	"NF.capabilities": "Extra Linux capabilities, e.g. NET_ADMIN.",
	"NF.devices":      "Host devices to expose, e.g. /dev/net/tun.",
	"NF.sysctls":      "Sysctls set inside the container; only net.* (the network namespace is the container's own).",
	"NF.readiness":    "How readiness is checked on the instance's mgmt address. Default for a kind: HTTP GET /readyz on port 9090. Default for an image: none, started means ready.",
	"NF.drain":        "How an instance is emptied before scale-in stops it. Default for a kind: POST then GET /drain on port 9090, 30s timeout. Default for an image: disabled.",
	"NF.restart":      "Restart policy: always (default), on-failure or never.",
	"NF.scaling":      "Autoscaling policy: keep metric per replica near target, between min and max replicas.",

	"Interface.network":   "A network of the profile (or mgmt).",
	"Interface.addresses": "Static IPv4 addresses, one per replica in replica order (exactly replicas of them), inside the subnet, not its network, broadcast or .1 (the host's) address. Default: allocated.",

	"Resources.cpus":      "CPU limit in cores (may be fractional, 0 for none). With dataplane, the whole number of exclusive cores.",
	"Resources.memory":    "Memory limit: bytes, or a number with Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), e.g. 256Mi.",
	"Resources.pids":      "Limit on processes and threads (0 for none).",
	"Resources.dataplane": "Exclusive CPU cores for a data-plane NF: required (refuse when none are free) or preferred (fall back to shared CPUs). Needs cpus, a whole number of at least 1.",

	"Dependency.nf":        "The NF depended upon.",
	"Dependency.condition": "started: its instances are running. ready (default): they answer their readiness check.",

	"Route.from":    "The NF whose replicas announce the prefixes: another NF of the profile.",
	"Route.network": "The network the routes go through: a network of the profile (not mgmt) that both NFs have an interface on.",

	"Volume.name":      "Volume name: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
	"Volume.path":      "Absolute mount path in the container.",
	"Volume.read_only": "Mount read-only.",

	"Probe.http":     "HTTP path answered with 2xx when ready, e.g. /readyz.",
	"Probe.tcp":      "TCP port that accepts a connection when ready.",
	"Probe.udp":      "UDP port that answers a datagram when ready.",
	"Probe.port":     "Port of the HTTP check. Default: 9090 (the ops port).",
	"Probe.interval": "Time between checks (a Go duration: 500ms, 2s). Default: 500ms.",
	"Probe.timeout":  "Time one check may take. Default: 1s.",

	"Drain.http":     "HTTP path: POST starts the drain, GET reports {\"remaining\":N} until 0. Default for a kind: /drain.",
	"Drain.port":     "Port of the drain endpoint. Default: 9090 (the ops port).",
	"Drain.timeout":  "How long scale-in waits for the drain before stopping the instance anyway. Default: 30s.",
	"Drain.disabled": "Stop instances without draining.",

	"Scaling.min":      "Fewest replicas, at least 1.",
	"Scaling.max":      "Most replicas, at least min.",
	"Scaling.metric":   "A Prometheus metric the NF exports (e.g. corebox_probe_load), or cpu.",
	"Scaling.target":   "Wanted value of the metric per replica (greater than 0).",
	"Scaling.cooldown": "Least time between two scaling decisions for this NF. Default: 60s.",
}

// enums are the fixed values of a key.
var enums = map[string][]string{
	"Network.type":         {"bridge", "macvlan"},
	"NF.restart":           {string(RestartAlways), string(RestartOnFailure), string(RestartNever)},
	"Resources.dataplane":  {DataplaneRequired, DataplanePreferred},
	"Dependency.condition": {ConditionStarted, ConditionReady},
}

// defaults are the documented default values, for the schema.
var defaults = map[string]any{
	"Network.type":         "bridge",
	"NF.replicas":          1,
	"NF.restart":           string(RestartAlways),
	"Dependency.condition": ConditionReady,
	"Probe.port":           OpsPort,
	"Probe.interval":       "500ms",
	"Probe.timeout":        "1s",
	"Drain.port":           OpsPort,
	"Drain.timeout":        "30s",
	"Scaling.cooldown":     "60s",
}

// required keys: missing ones are reported.
var required = map[string]bool{
	"Profile.name":      true,
	"Network.name":      true,
	"NF.name":           true,
	"Interface.network": true,
	"Dependency.nf":     true,
	"Route.from":        true,
	"Route.network":     true,
	"Volume.name":       true,
	"Volume.path":       true,
}

// scalarText are string keys (or string maps) that take any scalar as its
// text: sysctl values like 1, sizes like 1073741824.
var scalarText = map[string][]string{
	"NF.sysctls":        {"!!str", "!!int", "!!float", "!!bool"},
	"Resources.memory":  {"!!str", "!!int"},
	"Profile.variables": {"!!str", "!!int", "!!float", "!!bool"},
}

// field is one key of a struct in the format.
type field struct {
	key   string // as in YAML
	index int    // in the struct
	name  string // Type.key
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists the YAML keys of a struct type, in declaration order.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !sf.IsExported() {
			continue
		}
		out = append(out, field{key: key, index: i, name: t.Name() + "." + key})
	}
	fieldCache.Store(t, out)
	return out
}

func keysOf(t reflect.Type) []string {
	var keys []string
	for _, f := range fieldsOf(t) {
		keys = append(keys, f.key)
	}
	return keys
}

func profileKeys() []string { return keysOf(reflect.TypeFor[Profile]()) }

func keyList(keys []string) string { return strings.Join(keys, ", ") }
