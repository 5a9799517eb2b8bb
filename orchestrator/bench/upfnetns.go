package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/corebox/corebox/platform/netns"
)

// sysctl is one /proc/sys/net/ipv4/conf key (e.g. "n6/accept_local") and
// its value.
type sysctl struct{ key, value string }

// kernelSysctls are what gtpgen's kernel mode needs in its namespace: the
// baseline's packets come back in on n3 and n6 with one of gtpgen's own
// addresses as source, a martian unless accept_local is on and rp_filter
// off there (labs/sim/gtpgen README, "Kernel mode").
var kernelSysctls = []sysctl{
	{"all/rp_filter", "0"}, {"n3/rp_filter", "0"}, {"n6/rp_filter", "0"},
	{"n3/accept_local", "1"}, {"n6/accept_local", "1"},
}

// netnsSysctls sets sysctls in another process's network namespace, from
// the host (a container's /proc/sys is read-only), and restores them.
type netnsSysctls struct {
	ns      *os.File // the namespace, held open: immune to pid reuse
	changed []sysctl // old values of what we wrote
}

// setSysctls writes want in pid's network namespace, which must not be
// ours, keeping the old values of what it changed for restore.
func setSysctls(pid int, want []sysctl) (*netnsSysctls, error) {
	f, err := otherNetns(pid)
	if err != nil {
		return nil, err
	}
	s := &netnsSysctls{ns: f}
	err = netns.Do(s.path(), func() error {
		var err error
		s.changed, err = applySysctls("/proc/sys/net/ipv4/conf", want)
		return err
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("bench: sysctls in the namespace of pid %d: %w", pid, err), s.restore())
	}
	return s, nil
}

func (s *netnsSysctls) path() string { return fmt.Sprintf("/proc/self/fd/%d", s.ns.Fd()) }

// restore writes the old values back and lets the namespace go.
func (s *netnsSysctls) restore() error {
	err := netns.Do(s.path(), func() error { return restoreSysctls("/proc/sys/net/ipv4/conf", s.changed) })
	if err != nil {
		err = fmt.Errorf("bench: restore sysctls %v: %w", s.changed, err)
	}
	return errors.Join(err, s.ns.Close())
}

// applySysctls writes each wanted value that differs under dir and
// returns the old values of those it wrote (undone on failure).
func applySysctls(dir string, want []sysctl) ([]sysctl, error) {
	var changed []sysctl
	for _, w := range want {
		p := filepath.Join(dir, w.key)
		old, err := os.ReadFile(p)
		if err != nil {
			return nil, errors.Join(err, restoreSysctls(dir, changed))
		}
		if strings.TrimSpace(string(old)) == w.value {
			continue
		}
		if err := os.WriteFile(p, []byte(w.value), 0o644); err != nil {
			return nil, errors.Join(err, restoreSysctls(dir, changed))
		}
		changed = append(changed, sysctl{w.key, strings.TrimSpace(string(old))})
	}
	return changed, nil
}

// restoreSysctls writes old values back, last changed first.
func restoreSysctls(dir string, old []sysctl) error {
	var errs []error
	for i := len(old) - 1; i >= 0; i-- {
		if err := os.WriteFile(filepath.Join(dir, old[i].key), []byte(old[i].value), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// otherNetns opens pid's network namespace and checks it is not ours: a
// wrong pid must never make the bench change the host's sysctls.
func otherNetns(pid int) (*os.File, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("bench: no pid (%d) for the container", pid)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, fmt.Errorf("bench: network namespace of pid %d: %w (run as root)", pid, err)
	}
	theirs, err1 := f.Stat()
	ours, err2 := os.Stat("/proc/self/ns/net")
	if err := errors.Join(err1, err2); err != nil {
		return nil, errors.Join(fmt.Errorf("bench: network namespace of pid %d: %w", pid, err), f.Close())
	}
	a, b := theirs.Sys().(*syscall.Stat_t), ours.Sys().(*syscall.Stat_t)
	if a.Ino == b.Ino && a.Dev == b.Dev {
		return nil, errors.Join(fmt.Errorf("bench: pid %d is in our own network namespace, not a container's", pid), f.Close())
	}
	return f, nil
}

// forwarded is IP ForwDatagrams of pid's network namespace: packets its
// kernel forwarded (the baseline's, and the UPF's TUN traffic).
func forwarded(pid int) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/snmp", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: forwarding counter: %w", err)
	}
	defer f.Close()
	n, err := snmpField(f, "Ip:", "ForwDatagrams")
	if err != nil {
		return 0, fmt.Errorf("bench: forwarding counter of pid %d: %w", pid, err)
	}
	return n, nil
}

// snmpField reads one counter of /proc/net/snmp: a line of names, then a
// line of values, both starting with the protocol.
func snmpField(r io.Reader, proto, name string) (uint64, error) {
	sc := bufio.NewScanner(r)
	var names []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != proto {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == name && i < len(fields) {
				return strconv.ParseUint(fields[i], 10, 64)
			}
		}
		return 0, fmt.Errorf("no %s %s", proto, name)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s %s", proto, name)
}

// sumMetric adds the samples of one metric in Prometheus text format;
// found is false when it has none.
func sumMetric(r io.Reader, name string) (sum float64, found bool, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(fields) == 0 {
			return 0, false, fmt.Errorf("metric line %q: no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, false, fmt.Errorf("metric line %q: %w", line, err)
		}
		sum += v
		found = true
	}
	return sum, found, sc.Err()
}
