package profiles

import (
	"os"
	"strings"
	"testing"
)

// brokenProfiles: every rule of the format, broken, with the exact report.
var brokenProfiles = []struct {
	name  string
	yaml  string            // p.yaml
	files map[string]string // other files beside it
	set   map[string]string
	want  []string
}{
	{
		name: "self references and the reserved name",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}, {name: index, subnet: 10.2.0.0/24}]
nfs:
  - name: self
    kind: probe
  - name: a
    kind: probe
    interfaces: [{network: sbi}]
    config:
      ok: "${self.sbi}:80"
      mgmt: "${self.mgmt}"
      index: "${self.sbi[1]}"
      net: "${self.n3}"
      replica: ${self.index}
`,
		want: []string{
			`p.yaml:2:53: networks[1].name: "index" is reserved: ${self.index} means an instance's replica number`,
			`p.yaml:4:11: nfs[0].name: "self" is reserved: ${self.network} means an instance's own address`,
			`p.yaml:12:14: nfs[1].config.index: bad reference ${self.sbi[1]}: ${self.network} is the instance's own address and takes no replica index`,
			`p.yaml:13:12: nfs[1].config.net: ${self.n3}: NF "a" has no interface on "n3" (its networks: mgmt, sbi)`,
		},
	},
	{
		name: "profile name syntax",
		yaml: `name: Core
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs: [{name: a, kind: probe}]
`,
		want: []string{
			`p.yaml:1:7: name: bad profile name "Core": use lowercase letters and digits with at least one letter, e.g. 5gc ([a-z0-9]*[a-z][a-z0-9]*)`,
		},
	},
	{
		name: "profile name too long for its networks",
		yaml: `name: longprofile
networks: [{name: signalling, subnet: 10.1.0.0/24}]
nfs: [{name: a, kind: probe}]
`,
		want: []string{
			`p.yaml:1:7: name: profile name "longprofile" is too long: its networks are created on the host as PROFILE-NET, and "longprofile-signalling" has 22 characters where Linux and CNI allow 15; shorten the profile name to 4 characters or the network name`,
		},
	},
	{
		name: "network name syntax and length",
		yaml: `name: p
networks:
  - name: N3
    subnet: 10.1.0.0/24
  - name: backhaul123
    subnet: 10.2.0.0/24
nfs: [{name: a, kind: probe}]
`,
		want: []string{
			`p.yaml:3:11: networks[0].name: bad network name "N3": use a lowercase letter, then lowercase letters or digits ([a-z][a-z0-9]*)`,
			`p.yaml:5:11: networks[1].name: network name "backhaul123" is 11 characters long; at most 10`,
		},
	},
	{
		name: "network declared twice",
		yaml: `name: p
networks:
  - name: sbi
    subnet: 10.1.0.0/24
  - name: sbi
    subnet: 10.2.0.0/24
nfs: [{name: a, kind: probe}]
`,
		want: []string{
			`p.yaml:5:11: networks[1].name: network "sbi" is declared twice (first at line 3)`,
		},
	},
	{
		name: "subnet missing, not CIDR, IPv6",
		yaml: `name: p
networks:
  - name: a
  - name: b
    subnet: 10.1.0.0
  - name: c
    subnet: fd00::/64
nfs: [{name: x, kind: probe}]
`,
		want: []string{
			"p.yaml:3:5: networks[0].subnet: missing subnet: give an IPv4 subnet such as 10.100.3.0/24 (only mgmt may leave it to the orchestrator)",
			`p.yaml:5:13: networks[1].subnet: "10.1.0.0" is not an IPv4 subnet in CIDR form, such as 10.100.3.0/24`,
			`p.yaml:7:13: networks[2].subnet: "fd00::/64" is not IPv4: networks are IPv4 subnets, such as 10.100.3.0/24`,
		},
	},
	{
		name: "subnet not canonical, too small, too large",
		yaml: `name: p
networks:
  - name: a
    subnet: 10.1.0.7/24
  - name: b
    subnet: 10.2.0.0/31
  - name: c
    subnet: 0.0.0.0/4
nfs: [{name: x, kind: probe}]
`,
		want: []string{
			`p.yaml:4:13: networks[0].subnet: "10.1.0.7/24" is not canonical: the address has host bits set; did you mean "10.1.0.0/24"?`,
			`p.yaml:6:13: networks[1].subnet: "10.2.0.0/31" is too small: a subnet needs the host's .1 and an address per instance; use /30 or larger`,
			`p.yaml:8:13: networks[2].subnet: "0.0.0.0/4" is too large: use /8 or smaller`,
		},
	},
	{
		name: "subnets overlap",
		yaml: `name: p
networks:
  - name: core
    subnet: 10.1.0.0/16
  - name: n3
    subnet: 10.1.3.0/24
nfs: [{name: x, kind: probe}]
`,
		want: []string{
			`p.yaml:6:13: networks[1].subnet: subnet 10.1.3.0/24 of network "n3" overlaps subnet 10.1.0.0/16 of network "core" (line 4)`,
		},
	},
	{
		name: "network type, master, mtu",
		yaml: `name: p
networks:
  - name: a
    subnet: 10.1.0.0/24
    type: vxlan
  - name: b
    subnet: 10.2.0.0/24
    type: macvlan
  - name: c
    subnet: 10.3.0.0/24
    master: eth1
  - name: d
    subnet: 10.4.0.0/24
    mtu: 9600
  - name: mgmt
    subnet: 10.5.0.0/24
    type: macvlan
    master: eth0
nfs: [{name: x, kind: probe}]
`,
		want: []string{
			`p.yaml:5:11: networks[0].type: unknown value "vxlan" (allowed: bridge, macvlan)`,
			"p.yaml:8:11: networks[1].type: macvlan needs master: the host interface to attach to (e.g. eth1)",
			"p.yaml:11:13: networks[2].master: master is only for type macvlan",
			"p.yaml:14:10: networks[3].mtu: MTU 9600 is out of range: 576 to 9000",
			"p.yaml:17:11: networks[4].type: the mgmt network must be a bridge: the host reaches every instance's ops endpoints through it",
		},
	},
	{
		name: "NF names: syntax, length, duplicates",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: AMF
    kind: probe
  - name: amf
    kind: probe
  - name: amf
    kind: probe
  - name: averyveryveryveryveryverylongnamefornfs12
    kind: probe
`,
		want: []string{
			`p.yaml:4:11: nfs[0].name: bad NF name "AMF": use a lowercase letter, then lowercase letters or digits ([a-z][a-z0-9]*)`,
			`p.yaml:8:11: nfs[2].name: NF "amf" is declared twice (first at line 6)`,
			`p.yaml:10:11: nfs[3].name: NF name "averyveryveryveryveryverylongnamefornfs12" is 41 characters long; at most 40`,
		},
	},
	{
		name: "kind and image: both, neither, bad kind",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    image: docker.io/library/nginx
  - name: b
    replicas: 1
  - name: c
    kind: Probe
`,
		want: []string{
			"p.yaml:6:12: nfs[0].image: set kind or image, not both",
			"p.yaml:7:5: nfs[1]: kind or image is required: a corenf kind (probe, dn ...) or an OCI image",
			`p.yaml:10:11: nfs[2].kind: bad kind "Probe": corenf kinds are lowercase letters and digits (probe, dn ...)`,
		},
	},
	{
		name: "replicas negative and of the wrong type",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    replicas: -1
  - name: b
    kind: probe
    replicas: two
`,
		want: []string{
			"p.yaml:6:15: nfs[0].replicas: replicas must be 0 or more, got -1",
			`p.yaml:9:15: nfs[1].replicas: expected an integer, got the string "two"`,
		},
	},
	{
		name: "interfaces: undeclared network, duplicate, missing network",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    interfaces:
      - network: sbj
      - network: sbi
      - network: sbi
      - addresses: [10.1.0.5]
`,
		want: []string{
			`p.yaml:7:18: nfs[0].interfaces[0].network: no network "sbj" in this profile; did you mean "sbi"? (networks: sbi, mgmt)`,
			`p.yaml:9:18: nfs[0].interfaces[2].network: a second interface on "sbi" (first at line 8): an NF has one interface per network`,
			"p.yaml:10:9: nfs[0].interfaces[3].network: missing required key",
		},
	},
	{
		name: "static addresses: count, subnet, reserved, duplicate, not IPv4",
		yaml: `name: p
networks: [{name: n3, subnet: 10.3.0.0/24}]
nfs:
  - name: a
    kind: probe
    replicas: 2
    interfaces:
      - network: n3
        addresses: [10.3.0.10]
  - name: b
    kind: probe
    replicas: 5
    interfaces:
      - network: n3
        addresses: [10.4.0.1, 10.3.0.0, 10.3.0.255, 10.3.0.1, 10.3.0.10]
  - name: c
    kind: probe
    interfaces:
      - network: n3
        addresses: [upf]
`,
		want: []string{
			"p.yaml:9:20: nfs[0].interfaces[0].addresses: 1 address for 2 replicas: give exactly one per replica, in replica order",
			`p.yaml:15:21: nfs[1].interfaces[0].addresses[0]: 10.4.0.1 is outside the subnet 10.3.0.0/24 of network "n3"`,
			"p.yaml:15:31: nfs[1].interfaces[0].addresses[1]: 10.3.0.0 is the network address of 10.3.0.0/24; use one from 10.3.0.2 to 10.3.0.254",
			"p.yaml:15:41: nfs[1].interfaces[0].addresses[2]: 10.3.0.255 is the broadcast address of 10.3.0.0/24; use one from 10.3.0.2 to 10.3.0.254",
			`p.yaml:15:53: nfs[1].interfaces[0].addresses[3]: 10.3.0.1 is the host's address (.1, the gateway) on "n3"; use one from 10.3.0.2 to 10.3.0.254`,
			`p.yaml:15:63: nfs[1].interfaces[0].addresses[4]: 10.3.0.10 is already the address of NF "a" on "n3" (p.yaml:9)`,
			`p.yaml:20:21: nfs[2].interfaces[0].addresses[0]: "upf" is not an IPv4 address`,
		},
	},
	{
		name: "static addresses with a scaling policy, and on an undeclared mgmt",
		yaml: `name: p
networks: [{name: n3, subnet: 10.3.0.0/24}]
nfs:
  - name: a
    kind: probe
    interfaces:
      - network: n3
        addresses: [10.3.0.10]
    scaling: {min: 1, max: 3, metric: cpu, target: 0.5}
  - name: b
    kind: probe
    interfaces:
      - network: mgmt
        addresses: [10.9.0.10]
`,
		want: []string{
			"p.yaml:8:20: nfs[0].interfaces[0].addresses: static addresses exclude a scaling policy: each replica needs its own address and scaling changes their number",
			"p.yaml:14:20: nfs[1].interfaces[0].addresses: static addresses on mgmt need a mgmt network with a subnet declared in the profile",
		},
	},
	{
		name: "resources",
		yaml: `name: p
networks: [{name: n3, subnet: 10.3.0.0/24}]
nfs:
  - name: a
    kind: probe
    resources:
      cpus: -0.5
      memory: 12 parsecs
      pids: -3
  - name: b
    kind: probe
    resources:
      cpus: 1.5
      dataplane: required
  - name: c
    kind: probe
    resources:
      memory: 0
      dataplane: exclusive
`,
		want: []string{
			"p.yaml:7:13: nfs[0].resources.cpus: cpus must be 0 or more (cores, may be fractional), got -0.5",
			`p.yaml:8:15: nfs[0].resources.memory: size "12 parsecs": use bytes or a number with Ki, Mi, Gi, Ti, k, M, G or T, e.g. 256Mi`,
			"p.yaml:9:13: nfs[0].resources.pids: pids must be 0 or more, got -3",
			"p.yaml:13:13: nfs[1].resources.cpus: dataplane required needs cpus: a whole number of exclusive cores, at least 1 (got 1.5)",
			"p.yaml:18:15: nfs[2].resources.memory: memory must be more than 0 (leave it out for no limit)",
			`p.yaml:19:18: nfs[2].resources.dataplane: unknown value "exclusive" (allowed: required, preferred)`,
		},
	},
	{
		name: "depends_on: unknown NF, itself, twice, bad condition",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: nrf
    kind: probe
  - name: amf
    kind: probe
    depends_on:
      - nrff
      - amf
      - nrf
      - nf: nrf
        condition: healthy
      - 7
`,
		want: []string{
			`p.yaml:9:9: nfs[1].depends_on[0]: no NF "nrff" in this profile; did you mean "nrf"? (NFs: nrf, amf)`,
			"p.yaml:10:9: nfs[1].depends_on[1]: an NF cannot depend on itself",
			`p.yaml:12:13: nfs[1].depends_on[3].nf: "nrf" is listed twice (first at line 11)`,
			`p.yaml:13:20: nfs[1].depends_on[3].condition: unknown value "healthy" (allowed: started, ready)`,
			"p.yaml:14:9: nfs[1].depends_on[4]: expected an NF name or a mapping with nf and condition, got the integer 7",
		},
	},
	{
		name: "routes: unknown NF, itself, empty, missing keys, bad item",
		yaml: `name: p
networks: [{name: n6, subnet: 10.6.0.0/24}]
nfs:
  - name: upf
    kind: probe
    interfaces: [{network: n6}]
  - name: dn
    kind: probe
    interfaces: [{network: n6}]
    routes:
      - {from: ufp, network: n6}
      - {from: dn, network: n6}
      - {from: "", network: n6}
      - {network: n6}
      - {from: upf}
      - upf
      - {from: upf, network: n6, via: x}
`,
		want: []string{
			`p.yaml:11:16: nfs[1].routes[0].from: no NF "ufp" in this profile; did you mean "upf"? (NFs: upf, dn)`,
			"p.yaml:12:16: nfs[1].routes[1].from: an NF cannot take routes from itself: name the NF whose replicas announce them",
			"p.yaml:13:16: nfs[1].routes[2].from: empty: name another NF of the profile (NFs: upf, dn)",
			"p.yaml:14:9: nfs[1].routes[3].from: missing required key",
			"p.yaml:15:9: nfs[1].routes[4].network: missing required key",
			"p.yaml:16:9: nfs[1].routes[5]: expected a mapping with keys from, network, got the string \"upf\"",
			`p.yaml:17:34: nfs[1].routes[6].via: unknown key (known: from, network)`,
		},
	},
	{
		name: "routes: networks both NFs are on, not mgmt, each pair once",
		yaml: `name: p
networks: [{name: n6, subnet: 10.6.0.0/24}, {name: sbi, subnet: 10.1.0.0/24}, {name: n3, subnet: 10.3.0.0/24}]
nfs:
  - name: upf
    kind: probe
    interfaces: [{network: n6}, {network: n3}]
  - name: dn
    kind: probe
    interfaces: [{network: n6}, {network: sbi}]
    routes:
      - {from: upf, network: n9}
      - {from: upf, network: mgmt}
      - {from: upf, network: n3}
      - {from: upf, network: sbi}
      - {from: upf, network: ""}
      - {from: upf, network: n6}
      - {from: upf, network: n6}
`,
		want: []string{
			`p.yaml:11:30: nfs[1].routes[0].network: no network "n9" in this profile; did you mean "n6"? (networks: n6, sbi, n3, mgmt)`,
			"p.yaml:12:30: nfs[1].routes[1].network: routes cannot go through mgmt: it carries ops traffic only; name a network both NFs are on",
			`p.yaml:13:30: nfs[1].routes[2].network: NF "dn" has no interface on "n3" (its networks: mgmt, n6, sbi)`,
			`p.yaml:14:30: nfs[1].routes[3].network: NF "upf" has no interface on "sbi" (its networks: mgmt, n6, n3)`,
			"p.yaml:15:30: nfs[1].routes[4].network: empty network: name one of the profile's networks (n6, sbi, n3, mgmt)",
			`p.yaml:17:16: nfs[1].routes[6].from: routes from "upf" on "n6" are listed twice (first at line 16)`,
		},
	},
	{
		name: "dependency cycle through depends_on",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: amf
    kind: probe
    depends_on: [smf]
  - name: smf
    kind: probe
    depends_on: [ausf]
  - name: ausf
    kind: probe
    depends_on: [amf]
`,
		want: []string{
			"p.yaml:12:18: nfs[2].depends_on[0]: dependency cycle: amf -> smf -> ausf -> amf",
		},
	},
	{
		name: "dependency cycle through an address reference",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: amf
    kind: probe
    interfaces: [{network: sbi}]
    depends_on: [{nf: smf, condition: started}]
  - name: smf
    kind: probe
    interfaces: [{network: sbi}]
    config:
      amf: http://${amf.sbi}:8000
`,
		want: []string{
			"p.yaml:12:12: nfs[1].config.amf: dependency cycle: amf -> smf -> amf (smf refers to ${amf.sbi})",
		},
	},
	{
		name: "volumes",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    volumes:
      - data:/var/lib/data
      - Data:/var/lib/other
      - logs:var/log
      - cache:/var/lib/data:ro
      - x:/a:rw
      - {name: ok, path: /srv/../etc}
      - {path: /srv}
`,
		want: []string{
			`p.yaml:8:9: nfs[0].volumes[1]: bad volume name "Data": lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64`,
			`p.yaml:9:9: nfs[0].volumes[2]: mount path "var/log" must be absolute and clean, and not / (e.g. /var/lib/data)`,
			"p.yaml:10:9: nfs[0].volumes[3]: /var/lib/data is mounted twice (first at line 7)",
			`p.yaml:11:9: nfs[0].volumes[4]: expected NAME:/abs/path or NAME:/abs/path:ro, got the string "x:/a:rw"`,
			`p.yaml:12:26: nfs[0].volumes[5].path: mount path "/srv/../etc" must be absolute and clean, and not / (e.g. /var/lib/data)`,
			"p.yaml:13:9: nfs[0].volumes[6].name: missing required key",
		},
	},
	{
		name: "restart policy",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    restart: unless-stopped
`,
		want: []string{
			`p.yaml:6:14: nfs[0].restart: unknown value "unless-stopped" (allowed: always, on-failure, never)`,
		},
	},
	{
		name: "scaling policy",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    replicas: 6
    scaling:
      min: 2
      max: 4
      metric: corebox_probe_load
      target: 1
  - name: b
    kind: probe
    scaling:
      min: 3
      max: 2
      target: -1
      cooldown: -5s
`,
		want: []string{
			"p.yaml:6:15: nfs[0].replicas: replicas 6 is outside the scaling range 2..4",
			"p.yaml:15:7: nfs[1].scaling.metric: metric is required: a Prometheus metric the NF exports (e.g. corebox_probe_load) or cpu",
			"p.yaml:16:12: nfs[1].scaling.max: max (2) must be at least min (3)",
			"p.yaml:17:15: nfs[1].scaling.target: target must be greater than 0, got -1",
			"p.yaml:18:17: nfs[1].scaling.cooldown: cooldown must not be negative",
		},
	},
	{
		name: "readiness probe",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    readiness:
      http: /ready
      tcp: 8080
  - name: b
    image: example.org/app:1
    readiness:
      port: 8080
  - name: c
    kind: probe
    readiness:
      udp: 70000
      port: 9091
      interval: 0s
      timeout: soon
`,
		want: []string{
			"p.yaml:7:7: nfs[0].readiness: set at most one of http, tcp and udp",
			"p.yaml:12:13: nfs[1].readiness.port: port is the HTTP check's: give http too",
			"p.yaml:16:12: nfs[2].readiness.udp: port 70000 is out of range: 1 to 65535",
			"p.yaml:17:13: nfs[2].readiness.port: port is the HTTP check's; tcp and udp give their own port",
			"p.yaml:18:17: nfs[2].readiness.interval: must be greater than 0",
			`p.yaml:19:16: nfs[2].readiness.timeout: expected a duration such as 500ms, 30s or 1m, got the string "soon"`,
		},
	},
	{
		name: "drain",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    drain:
      http: /drain
      disabled: true
  - name: b
    image: example.org/app:1
    drain:
      timeout: 10s
  - name: c
    kind: probe
    drain:
      http: quiesce
      port: 0
      timeout: 0s
`,
		want: []string{
			"p.yaml:8:17: nfs[0].drain.disabled: disabled and http exclude each other",
			"p.yaml:12:7: nfs[1].drain: an image has no default drain endpoint: give http (or leave drain out)",
			`p.yaml:16:13: nfs[2].drain.http: "quiesce" is not an HTTP path: it starts with / (e.g. /readyz)`,
			"p.yaml:18:16: nfs[2].drain.timeout: must be greater than 0",
		},
	},
	{
		name: "sysctls, capabilities, devices, env",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    sysctls:
      net.ipv4.ip_forward: 1
      kernel.shmmax: 65536
    capabilities: [NET_ADMIN, net_raw]
    devices: [/dev/net/tun, /etc/passwd]
    env: [GOOD=1, "BAD KEY=2", NOVALUE]
`,
		want: []string{
			`p.yaml:8:22: nfs[0].sysctls["kernel.shmmax"]: only net.* sysctls can be set: the container has its own network namespace, other sysctls are the host's`,
			`p.yaml:9:31: nfs[0].capabilities[1]: bad capability "net_raw": use a name such as NET_ADMIN`,
			`p.yaml:10:29: nfs[0].devices[1]: bad device "/etc/passwd": use a path under /dev, e.g. /dev/net/tun`,
			`p.yaml:11:19: nfs[0].env[1]: bad environment variable "BAD KEY=2": use NAME=VALUE`,
			`p.yaml:11:32: nfs[0].env[2]: bad environment variable "NOVALUE": use NAME=VALUE`,
		},
	},
	{
		name: "config and config_path",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    config_path: /etc/probe.yaml
  - name: b
    image: example.org/app:1
    config:
      port: 80
  - name: c
    image: example.org/app:1
    config_path: etc/app.yaml
    config: [1, 2]
`,
		want: []string{
			"p.yaml:6:18: nfs[0].config_path: config_path is for images: a kind's config is mounted at /etc/corebox/probe.yaml",
			"p.yaml:10:7: nfs[1].config: an image's config needs config_path: where to mount the file in the container",
			`p.yaml:13:18: nfs[2].config_path: "etc/app.yaml" is not an absolute, clean path (e.g. /etc/app/config.yaml)`,
			"p.yaml:14:13: nfs[2].config: expected a mapping, got a list",
		},
	},
	{
		name: "unknown keys, with and without a suggestion",
		yaml: `name: p
netwrks: []
networks:
  - name: sbi
    subnet: 10.1.0.0/24
    gateway: 10.1.0.1
nfs:
  - name: a
    kind: probe
    replcas: 2
    resources: {memroy: 1Gi}
`,
		want: []string{
			`p.yaml:2:1: netwrks: unknown key; did you mean "networks"? (known: name, include, variables, networks, nfs)`,
			"p.yaml:6:5: networks[0].gateway: unknown key (known: name, subnet, type, master, mtu)",
			`p.yaml:10:5: nfs[0].replcas: unknown key; did you mean "replicas"? (known: name, kind, image, replicas, interfaces, resources, config, config_path, args, env, depends_on, routes, volumes, capabilities, devices, sysctls, readiness, drain, restart, scaling)`,
			`p.yaml:11:17: nfs[0].resources.memroy: unknown key; did you mean "memory"? (known: cpus, memory, pids, dataplane)`,
		},
	},
	{
		name: "type errors",
		yaml: `name: [p]
networks:
  - name: sbi
    subnet: 10.1.0.0/24
    mtu: "1500"
nfs:
  name: a
`,
		want: []string{
			"p.yaml:1:7: name: expected a string, got a list",
			`p.yaml:5:10: networks[0].mtu: expected an integer, got the string "1500"`,
			"p.yaml:7:3: nfs: expected a list, got a mapping",
		},
	},
	{
		name: "more type errors",
		yaml: `name: p
networks: {sbi: 10.1.0.0/24}
nfs:
  - name: a
    kind: probe
    interfaces: sbi
    env: {A: 1}
    args: [--port, 80]
    drain: {disabled: "yes"}
    resources: {cpus: .inf}
`,
		want: []string{
			"p.yaml:2:11: networks: expected a list, got a mapping",
			`p.yaml:6:17: nfs[0].interfaces: expected a list, got the string "sbi"`,
			"p.yaml:7:10: nfs[0].env: expected a list, got a mapping",
			"p.yaml:8:20: nfs[0].args[1]: expected a string, got the integer 80",
			`p.yaml:9:23: nfs[0].drain.disabled: expected true or false, got the string "yes"`,
			"p.yaml:10:23: nfs[0].resources.cpus: expected a finite number, got the number .inf",
		},
	},
	{
		name: "missing required keys",
		yaml: `networks:
  - subnet: 10.1.0.0/24
nfs:
  - kind: probe
    interfaces:
      - addresses: []
`,
		want: []string{
			"p.yaml:1:1: name: missing required key",
			"p.yaml:2:5: networks[0].name: missing required key",
			"p.yaml:4:5: nfs[0].name: missing required key",
			"p.yaml:6:9: nfs[0].interfaces[0].network: missing required key",
		},
	},
	{
		name: "no NFs",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
`,
		want: []string{
			"p.yaml:1:1: nfs: a profile needs at least one NF",
		},
	},
	{
		name: "YAML syntax error",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}
nfs: []
`,
		want: []string{
			"p.yaml:2: YAML syntax: did not find expected ',' or ']'",
		},
	},
	{
		name: "duplicate key, alias and merge key",
		yaml: `name: p
networks: &nets
  - name: sbi
    subnet: 10.1.0.0/24
name: q
nfs:
  - name: a
    kind: probe
    <<: {replicas: 2}
  - name: b
    kind: probe
    config: *nets
`,
		want: []string{
			"p.yaml:5:1: name: duplicate key (first at line 1)",
			`p.yaml:9:5: nfs[0]["<<"]: YAML merge keys (<<) are not supported: use include or variables`,
			"p.yaml:12:13: nfs[1].config: YAML aliases (*nets) are not supported: use include or variables",
		},
	},
	{
		name: "a second document",
		yaml: `name: p
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs: [{name: a, kind: probe}]
---
name: q
`,
		want: []string{
			"p.yaml:4:1: a second YAML document: a profile file holds exactly one",
		},
	},
	{
		name: "empty file",
		yaml: ``,
		want: []string{
			"p.yaml:1:1: empty profile: expected a mapping with name, networks and nfs",
		},
	},
	{
		name: "control character",
		yaml: "name: p\nnetworks: [\x01]\n",
		want: []string{
			"p.yaml:2:12: YAML syntax: character U+0001 is not allowed in YAML",
		},
	},
	{
		name: "variables: undefined, malformed, unclosed",
		yaml: `name: p
variables:
  mcc: "001"
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs:
  - name: a
    kind: probe
    config:
      plmn: ${mcc}-${mnc}
      x: ${9lives}
      y: ${mcc
`,
		want: []string{
			`p.yaml:9:13: nfs[0].config.plmn: undefined variable "mnc"; did you mean "mcc"? (variables: mcc)`,
			"p.yaml:10:10: nfs[0].config.x: bad variable ${9lives}: a name is letters, digits and _, not starting with a digit",
			`p.yaml:11:10: nfs[0].config.y: unclosed ${ in "${mcc"`,
		},
	},
	{
		name: "variables: --set of an undeclared name, bad declarations",
		yaml: `name: p
variables:
  sbi_subnet: 10.1.0.0/24
  bad-name: 1
  list: [1]
  nested: ${sbi_subnet}
networks: [{name: sbi, subnet: "${sbi_subnet}"}]
nfs: [{name: a, kind: probe}]
`,
		set: map[string]string{"sbi_subnt": "10.2.0.0/24", "sbi_subnet": "${x}"},
		want: []string{
			"--set: sbi_subnet: a variable's value cannot hold ${...}",
			`--set: sbi_subnt: not a variable of this profile; did you mean "sbi_subnet"? (variables: sbi_subnet)`,
			"p.yaml:4:3: variables.bad-name: bad variable name: use letters, digits and _, not starting with a digit",
			"p.yaml:5:9: variables.list: expected a string or a number, got a list",
			"p.yaml:6:11: variables.nested: a variable's value cannot hold ${...}",
		},
	},
	{
		name: "variables: a substituted value is checked where it lands",
		yaml: `name: p
variables:
  n: three
  net: 10.1.0.0/33
networks: [{name: sbi, subnet: "${net}"}]
nfs:
  - name: a
    kind: probe
    replicas: ${n}
`,
		want: []string{
			`p.yaml:5:32: networks[0].subnet: "10.1.0.0/33" is not an IPv4 subnet in CIDR form, such as 10.100.3.0/24`,
			`p.yaml:9:15: nfs[0].replicas: expected an integer, got the string "three"`,
		},
	},
	{
		name: "references: unknown NF, no interface, replica out of range",
		yaml: `name: p
networks:
  - {name: sbi, subnet: 10.1.0.0/24}
  - {name: n4, subnet: 10.4.0.0/24}
nfs:
  - name: upf
    kind: probe
    replicas: 2
    interfaces: [{network: n4}]
  - name: idle
    kind: probe
    replicas: 0
  - name: scaled
    kind: probe
    replicas: 3
    scaling: {min: 1, max: 4, metric: cpu, target: 0.5}
  - name: smf
    kind: probe
    interfaces: [{network: sbi}]
    config:
      nrf: ${nrf.sbi}
      upf: ${upf.sbi}
      upf2: ${upf.n4[2]}
      idle: ${idle.mgmt}
      scaled: ${scaled.mgmt[1]}
      all: ${upf.n4[*]}
    env:
      - UPF=${upf.n4[1]}
      - BAD=${upf.n4[7]}
`,
		want: []string{
			`p.yaml:21:12: nfs[3].config.nrf: ${nrf.sbi}: no NF "nrf" in this profile (NFs: upf, idle, scaled, smf)`,
			`p.yaml:22:12: nfs[3].config.upf: ${upf.sbi}: NF "upf" has no interface on "sbi" (its networks: mgmt, n4)`,
			`p.yaml:23:13: nfs[3].config.upf2: ${upf.n4[2]}: replica 2 is out of range: NF "upf" has 2 replicas (indexes 0 to 1)`,
			`p.yaml:24:13: nfs[3].config.idle: ${idle.mgmt}: NF "idle" has no replicas`,
			`p.yaml:25:15: nfs[3].config.scaled: ${scaled.mgmt[1]}: replica 1 is out of range: NF "scaled" may scale in to 1 replica (indexes 0 to 0)`,
			`p.yaml:29:9: nfs[3].env[1]: ${upf.n4[7]}: replica 7 is out of range: NF "upf" has 2 replicas (indexes 0 to 1)`,
		},
	},
	{
		name: "references: syntax and where they may stand",
		yaml: `name: p
networks:
  - name: sbi
    subnet: ${nrf.sbi}
nfs:
  - name: nrf
    kind: probe
    interfaces: [{network: sbi}]
  - name: amf
    kind: probe
    interfaces: [{network: sbi}]
    config:
      bad: ${nrf.SBI}
      list: "${nrf.sbi[*]},x"
    env:
      - ALL=${nrf.sbi[*]}
    args:
      - --nrf
      - ${nrf.sbi[99999999999]}
`,
		want: []string{
			"p.yaml:4:13: networks[0].subnet: ${nrf.sbi}: references to NF addresses are resolved only in config, env and args",
			"p.yaml:13:12: nfs[1].config.bad: bad reference ${nrf.SBI}: expected ${nf.network}, ${nf.network[N]} or ${nf.network[*]}",
			"p.yaml:14:13: nfs[1].config.list: ${nrf.sbi[*]}: a list of addresses must be the whole value, not part of a string",
			"p.yaml:16:9: nfs[1].env[0]: ${nrf.sbi[*]}: a list of addresses can stand only in config",
			"p.yaml:19:9: nfs[1].args[1]: bad reference ${nrf.sbi[99999999999]}: replica index too large",
		},
	},
	{
		name: "include: missing file, unknown shipped profile, not a list item",
		yaml: `name: p
include: [lib/base.yaml, demo5, {x: 1}]
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs: [{name: a, kind: probe}]
`,
		want: []string{
			`p.yaml:2:11: include[0]: include "lib/base.yaml": file lib/base.yaml not found`,
			`p.yaml:2:26: include[1]: include "demo5": no shipped profile "demo5"; did you mean "demo"? (shipped: 5gc, 5gelastic, 5glab, demo, epc, epclab, imslab, test12, upfbench, volte); a path needs a / or a .yaml suffix`,
			"p.yaml:2:33: include[2]: expected a shipped profile name or a path, got a mapping",
		},
	},
	{
		name: "include: a cycle",
		yaml: `name: p
include: [a.yaml]
nfs: [{name: x, kind: probe}]
`,
		files: map[string]string{
			"a.yaml":     "name: a\ninclude: [sub/b.yaml]\n",
			"sub/b.yaml": "name: b\ninclude: [../p.yaml]\n",
		},
		want: []string{
			"sub/b.yaml:2:11: include[0]: include cycle: p.yaml -> a.yaml -> sub/b.yaml -> p.yaml",
		},
	},
	{
		name: "include: problems in an included file are reported there",
		yaml: `name: p
include: [base.yaml]
nfs:
  - name: amf
    replicas: 2
`,
		files: map[string]string{
			"base.yaml": "networks:\n  - name: sbi\n    subnet: 10.1.0.0/24\nnfs:\n  - name: amf\n    kind: probe\n    interfaces: [{network: sbj}]\n",
		},
		want: []string{
			"base.yaml:1:1: name: missing required key",
			`base.yaml:7:28: nfs[0].interfaces[0].network: no network "sbj" in this profile; did you mean "sbi"? (networks: sbi, mgmt)`,
		},
	},
	{
		name: "include: not a list",
		yaml: `name: p
include: base.yaml
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs: [{name: a, kind: probe}]
`,
		want: []string{
			`p.yaml:2:10: include: expected a list of shipped profile names or paths, got the string "base.yaml"`,
		},
	},
	{
		name: "include: out of the directory tree, from a subdirectory",
		yaml: `name: p
include: [lib/a.yaml]
networks: [{name: sbi, subnet: 10.1.0.0/24}]
nfs: [{name: a, kind: probe}]
`,
		files: map[string]string{"lib/a.yaml": "name: a\ninclude: [../../up.yaml]\n"},
		want: []string{
			`lib/a.yaml:2:11: include[0]: include "../../up.yaml": ../../up.yaml leaves the directory of lib/a.yaml`,
		},
	},
}

func TestBrokenProfiles(t *testing.T) {
	for _, tc := range brokenProfiles {
		t.Run(tc.name, func(t *testing.T) {
			named := map[string]string{"p.yaml": tc.yaml}
			for k, v := range tc.files {
				named[k] = v
			}
			got := problems(t, named, tc.set)
			if os.Getenv("DUMP") != "" {
				t.Logf("\n%s", strings.Join(got, "\n"))
				return
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
