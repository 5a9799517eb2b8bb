package runtime

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/corebox/corebox/platform/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultCapabilities is the set every container gets (the same as Docker's
// default); NFs ask for more, such as NET_ADMIN for a UPF.
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// CgroupPath is the cgroup of a container, the same in every hierarchy.
func CgroupPath(id string) string { return "/corebox/" + id }

// OCISpec turns a Spec into an OCI runtime spec. The same document is a
// runc bundle's config.json, which is how benchmarks compare us with runc.
func OCISpec(s Spec) (*specs.Spec, error) {
	if len(s.Args) == 0 {
		return nil, fmt.Errorf("container %s: no command (the image has no entrypoint; give one after --)", s.ID)
	}
	caps, err := capabilities(s.Capabilities)
	if err != nil {
		return nil, err
	}
	devs, rules, err := devices(s.Devices)
	if err != nil {
		return nil, err
	}
	cwd := s.Cwd
	if cwd == "" {
		cwd = "/"
	}
	spec := &specs.Spec{
		Version:  specs.Version,
		Hostname: s.Hostname,
		Root:     &specs.Root{Path: s.Rootfs},
		Process: &specs.Process{
			Args:            s.Args,
			Env:             s.Env,
			Cwd:             cwd,
			NoNewPrivileges: true,
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1 << 20, Soft: 1 << 20}},
		},
		Mounts: append(defaultMounts(), bindMounts(s.Mounts)...),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.MountNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.NetworkNamespace, Path: s.NetNS},
			},
			CgroupsPath: CgroupPath(s.ID),
			Devices:     devs,
			Resources:   resources(s.Resources, rules),
			Sysctl:      s.Sysctls,
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
	return spec, nil
}

func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
	}
}

func bindMounts(ms []Mount) []specs.Mount {
	out := make([]specs.Mount, 0, len(ms))
	for _, m := range ms {
		opts := []string{"rbind", "rprivate"}
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		out = append(out, specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Source, Options: opts})
	}
	return out
}

func capabilities(extra []string) ([]string, error) {
	set := map[string]bool{}
	for _, c := range defaultCapabilities {
		set[c] = true
	}
	for _, c := range extra {
		name := "CAP_" + strings.TrimPrefix(strings.ToUpper(c), "CAP_")
		if !knownCapability(name) {
			return nil, fmt.Errorf("unknown capability %q (use a name like NET_ADMIN; see capabilities(7))", c)
		}
		set[name] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, nil
}

// devices makes host device nodes available in the container and allows
// them in the devices cgroup.
func devices(paths []string) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	for _, p := range paths {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			return nil, nil, fmt.Errorf("device %s: %w (give a device node of the host, e.g. /dev/net/tun)", p, err)
		}
		var typ string
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFCHR:
			typ = "c"
		case unix.S_IFBLK:
			typ = "b"
		default:
			return nil, nil, fmt.Errorf("device %s is not a device node", p)
		}
		major, minor := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		mode := os.FileMode(st.Mode & 0o777)
		uid, gid := uint32(0), uint32(0)
		devs = append(devs, specs.LinuxDevice{Path: p, Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid})
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: "rwm"})
	}
	return devs, rules, nil
}

const cpuPeriod = 100000

func resources(r container.Resources, deviceRules []specs.LinuxDeviceCgroup) *specs.LinuxResources {
	// Deny all devices first; specconv then adds the default allowed set.
	out := &specs.LinuxResources{Devices: append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, deviceRules...)}
	applyResources(out, r)
	return out
}

func applyResources(out *specs.LinuxResources, r container.Resources) {
	period := uint64(cpuPeriod)
	quota := int64(-1)
	if r.CPUs > 0 {
		quota = int64(r.CPUs * cpuPeriod)
	}
	out.CPU = &specs.LinuxCPU{Period: &period, Quota: &quota, Cpus: r.CPUSet}
	mem := int64(-1)
	if r.MemoryBytes > 0 {
		mem = r.MemoryBytes
	}
	out.Memory = &specs.LinuxMemory{Limit: &mem}
	pids := int64(-1)
	if r.Pids > 0 {
		pids = r.Pids
	}
	out.Pids = &specs.LinuxPids{Limit: &pids}
}
