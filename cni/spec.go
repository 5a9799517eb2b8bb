package cni

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strings"
)

const (
	maxNameLen = 15 // IFNAMSIZ-1: the name doubles as the interface name
	minMTU     = 576
	maxMTU     = 9000
	// maxPrefixBits keeps at least two host addresses beside the gateway.
	maxPrefixBits = 30
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// networkSpec mirrors NetworkSpec with Gateway as a pointer, so that an absent
// "gateway" can default to true for bridge networks.
type networkSpec struct {
	Name    string            `json:"name"`
	Subnet  string            `json:"subnet"`
	Type    string            `json:"type"`
	Master  string            `json:"master"`
	MTU     int               `json:"mtu"`
	Gateway *bool             `json:"gateway"`
	Labels  map[string]string `json:"labels"`
}

// ParseNetworkSpec decodes a user's JSON network spec strictly (unknown
// fields and trailing data are errors) and applies defaults: type bridge,
// and a host gateway for bridge networks unless "gateway": false. It does
// not validate: call Validate (Create does).
func ParseNetworkSpec(data []byte) (*NetworkSpec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw networkSpec
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse network spec: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse network spec: unexpected data after the JSON object")
	}
	spec := &NetworkSpec{Name: raw.Name, Subnet: raw.Subnet, Type: raw.Type, Master: raw.Master, MTU: raw.MTU}
	if spec.Type == "" {
		spec.Type = TypeBridge
	}
	spec.Gateway = spec.Type == TypeBridge
	if raw.Gateway != nil {
		spec.Gateway = *raw.Gateway
	}
	if len(raw.Labels) > 0 {
		spec.Labels = raw.Labels
	}
	return spec, nil
}

// Validate checks what can be checked without looking at the host or at
// other networks. Every error is a *ValidationError naming the field.
func (s *NetworkSpec) Validate() error {
	if err := validateName(s.Name); err != nil {
		return err
	}
	if _, err := parseSubnet(s.Subnet); err != nil {
		return err
	}
	if err := s.validateType(); err != nil {
		return err
	}
	if s.MTU != 0 && (s.MTU < minMTU || s.MTU > maxMTU) {
		return invalid("mtu", fmt.Sprint(s.MTU), "must be between %d and %d (or 0 for the default 1500)", minMTU, maxMTU)
	}
	for k := range s.Labels {
		if strings.TrimSpace(k) == "" {
			return invalid("labels", k, "label keys must not be empty")
		}
	}
	return nil
}

func validateName(name string) error {
	switch {
	case name == "":
		return invalid("name", name, "a network needs a name, e.g. \"n3\"")
	case len(name) > maxNameLen:
		return invalid("name", name, "is %d bytes long; at most %d are allowed (it becomes an interface name)", len(name), maxNameLen)
	case !nameRE.MatchString(name):
		return invalid("name", name, "use lowercase letters, digits and '-', starting with a letter or digit ([a-z0-9][a-z0-9-]*)")
	}
	return nil
}

// parseSubnet accepts an IPv4 CIDR in canonical form with room for hosts.
func parseSubnet(subnet string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(subnet)
	if err != nil {
		return netip.Prefix{}, invalid("subnet", subnet, "not a CIDR such as 10.100.3.0/24")
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, invalid("subnet", subnet, "only IPv4 subnets are supported, e.g. 10.100.3.0/24")
	}
	if p.Bits() > maxPrefixBits {
		return netip.Prefix{}, invalid("subnet", subnet, "/%d leaves no room for hosts; use a prefix of /%d or shorter", p.Bits(), maxPrefixBits)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, invalid("subnet", subnet, "is not the network address; write %s", m)
	}
	return p, nil
}

func (s *NetworkSpec) validateType() error {
	switch s.Type {
	case TypeBridge:
		if s.Master != "" {
			return invalid("master", s.Master, "only macvlan networks have a master; drop it or set type macvlan")
		}
	case TypeMacvlan:
		if s.Master == "" {
			return invalid("master", s.Master, "a macvlan network needs the host interface it hangs off (master)")
		}
		if s.Gateway {
			return invalid("gateway", "true", "a macvlan network cannot give the host a gateway address; set gateway false")
		}
	default:
		return invalid("type", s.Type, "use %q or %q", TypeBridge, TypeMacvlan)
	}
	return nil
}
