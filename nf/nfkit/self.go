package nfkit

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
)

// selfRef is ${self.NETWORK}: the instance's own address on the interface
// named after that network. The orchestrator cannot know it before the
// instance is wired (and it differs per replica), so the NF resolves it.
var selfRef = regexp.MustCompile(`\$\{self\.([a-z][a-z0-9]*)\}`)

// ExpandSelf replaces every ${self.NET} in data with addrOf(NET). name
// prefixes errors, with the line.
func ExpandSelf(name string, data []byte, addrOf func(iface string) (string, error)) ([]byte, error) {
	if !bytes.Contains(data, []byte("${self.")) {
		return data, nil
	}
	var errs []error
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		lines[i] = selfRef.ReplaceAllFunc(line, func(m []byte) []byte {
			iface := string(selfRef.FindSubmatch(m)[1])
			addr, err := addrOf(iface)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %s: %w", name, i+1, m, err))
				return m
			}
			return []byte(addr)
		})
	}
	return bytes.Join(lines, []byte("\n")), errors.Join(errs...)
}

// InterfaceAddr is the first IPv4 address of the named interface (the
// interface inside a container is named after its network).
func InterfaceAddr(iface string) (string, error) {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return "", fmt.Errorf("no interface %q here: %w", iface, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return "", fmt.Errorf("addresses of %s: %w", iface, err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
			return p.Addr().String(), nil
		}
	}
	return "", fmt.Errorf("interface %s has no IPv4 address", iface)
}
