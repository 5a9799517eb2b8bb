package node

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/corebox/corebox/platform/container"
)

var (
	namePattern   = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	volumePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	ifPattern     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func validate(s *container.Spec) error {
	if !namePattern.MatchString(s.Name) || len(s.Name) > 63 {
		return invalid("name %q: use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit", s.Name)
	}
	if s.Image == "" {
		return invalid("no image: give --image (see `corebox image ls`)")
	}
	seenNet, seenIf := map[string]bool{}, map[string]bool{}
	for i := range s.Networks {
		r := &s.Networks[i]
		if r.IfName == "" {
			r.IfName = r.Network
		}
		if seenNet[r.Network] {
			return invalid("network %q given twice: a container has one interface per network", r.Network)
		}
		if seenIf[r.IfName] {
			return invalid("interface name %q used twice", r.IfName)
		}
		if !ifPattern.MatchString(r.IfName) || len(r.IfName) > 15 || r.IfName == "lo" {
			return invalid("interface name %q: at most 15 letters, digits, '_', '.' or '-', and not lo", r.IfName)
		}
		seenNet[r.Network], seenIf[r.IfName] = true, true
	}
	for _, v := range s.Volumes {
		if !volumePattern.MatchString(v.Name) {
			return invalid("volume name %q: use letters, digits, '_', '.' or '-' (--volume NAME:/path)", v.Name)
		}
		if !path.IsAbs(v.Path) || path.Clean(v.Path) == "/" {
			return invalid("volume %s: mount point %q must be an absolute path other than /", v.Name, v.Path)
		}
	}
	for k := range s.Sysctls {
		if !strings.HasPrefix(k, "net.") {
			return invalid("sysctl %s: only net.* sysctls are per container (they apply in its network namespace)", k)
		}
	}
	if s.ConfigPath != "" && !path.IsAbs(s.ConfigPath) {
		return invalid("config path %q must be absolute", s.ConfigPath)
	}
	if err := s.Resources.Validate(); err != nil {
		return invalid("%v", err)
	}
	return nil
}
